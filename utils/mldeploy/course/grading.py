"""Autograde a folder of submissions with nbgrader and write the grades as CSV (``make grade``).

Submissions are laid out as nbgrader collects them: ``DIR/STUDENT/ASSIGNMENT/NOTEBOOK.ipynb``.

Grading runs untrusted code, so it is defensive:

- on Linux, each submission's kernel runs in a sandbox (``sandbox.py``): it sees neither the course folder
  (``solutions/``, ``gradebook.db``, other submissions) nor the network, as another user or without
  capabilities, with memory, process and CPU limits. nbgrader itself, which holds the notebook, the hidden
  tests and the gradebook, stays outside and reaches the kernel only through its channel. Where no sandbox
  can be made, grading refuses unless the caller accepts the risk (``sandbox=False``, ``make grade UNSAFE=1``);
- the assertion helpers the hidden tests use are put back before every test cell, and a kernel that stops
  reporting failures is caught (``kernel_guard.py``);
- each student is graded by their own ``nbgrader autograde`` process with a time limit, so a
  submission that hangs or crashes nbgrader costs that student's grade, not the whole run;
- test cells a learner edited or deleted are restored from the source (``nbgrader_config.py``),
  and an endless cell is cut by nbgrader's per-cell timeout;
- the shared data lake is fingerprinted before each student and restored if a submission changed it;
- the student versions are generated into a scratch folder, so the committed ``notebooks/`` is
  never rewritten (a drift between the two is reported instead).
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..jvm_archive import archive_dir
from ..paths import COURSE_ROOT, cache_dir, lake_dir, tools_first_path
from .kernel_guard import TAMPERED
from .lake_guard import LakeGuard
from .notebooks import learner_view
from .sandbox import (SandboxSpec, StudentSandbox, Tripwire, prepare_student, python_paths, sandbox_env, sandbox_problem,
                      sandbox_uid, writable_copy)

#: Wall-clock limit for grading one student's assignment: several times a lesson's warm run.
STUDENT_TIMEOUT_SECONDS = 30 * 60


class SandboxUnavailableError(RuntimeError):
    """Submissions would run with the grader's rights, and the caller did not accept that."""


@dataclass(frozen=True)
class GradingResult:
    grades_csv: Path
    rows: list[dict[str, str]]
    log: str
    #: (student, assignment) -> {grade_id: (score, max_score)} for every autograded test cell.
    cell_scores: dict[tuple[str, str], dict[str, tuple[float | None, float]]] = field(default_factory=dict)
    #: What went wrong with particular submissions (a timeout, a crash, a lake restored, drift).
    problems: list[str] = field(default_factory=list)
    #: nbgrader's autograded notebooks: ``autograded/STUDENT/ASSIGNMENT/NOTEBOOK.ipynb``.
    autograded: Path | None = None

    @property
    def errors(self) -> list[str]:
        """Lines where nbgrader itself reported an error (not a student's failing test)."""
        return [line for line in self.log.splitlines() if "| ERROR]" in line or "| CRITICAL]" in line]


def nbgrader(course: Path, *args: str, timeout: float | None = None, env: dict[str, str] | None = None) -> str:
    """Run an nbgrader command in ``course`` (``env`` adds variables); return its log, raise with it on failure."""
    tools = Path(sys.executable).parent
    # nbgrader runs `alembic` by name to create its gradebook: this environment's tools come first.
    env = {**os.environ, **(env or {}), "PATH": tools_first_path()}
    command = [str(tools / "nbgrader"), *args]
    # Its own session, so a timeout can end the kernels it started too.
    process = subprocess.Popen(command, cwd=course, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        log, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_session(process)
        raise TimeoutError(f"`nbgrader {' '.join(args)}` did not finish within {timeout:.0f} s") from None
    if process.returncode != 0:
        raise RuntimeError(f"`nbgrader {' '.join(args)}` failed ({process.returncode}):\n{log[-4000:]}")
    return log


def _kill_session(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()


def release(course: Path, assignment: str, release_dir: Path) -> str:
    """``generate_assignment`` into ``release_dir``: fills the gradebook with the source's test cells."""
    return nbgrader(course, "generate_assignment", assignment, "--force",
                    f"--CourseDirectory.release_directory={release_dir}")


def release_drift(course: Path, assignment: str, release_dir: Path) -> list[str]:
    """Notebooks whose committed student version differs from a fresh release of the source."""
    drifted = []
    for fresh in sorted((release_dir / assignment).glob("*.ipynb")):
        committed = course / "notebooks" / assignment / fresh.name
        if not committed.exists() or learner_view(committed) != learner_view(fresh):
            drifted.append(f"notebooks/{assignment}/{fresh.name} is not what `make release` makes from solutions/")
    return drifted


def grade(
    submissions: Path,
    course: Path = COURSE_ROOT,
    grades_csv: Path | None = None,
    *,
    generate: bool = True,
    check_release: bool = True,
    feedback: bool = False,
    execute: bool = True,
    cell_timeout: int | None = None,
    student_timeout: float = STUDENT_TIMEOUT_SECONDS,
    env: dict[str, str] | None = None,
    sandbox: bool = True,
) -> GradingResult:
    """Autograde every submission found in ``submissions``; write and return the grades.

    ``generate=False`` reuses a gradebook that already holds the assignments; ``check_release=False`` skips
    comparing the committed ``notebooks/`` with the release (a learner grading their own edited notebooks);
    ``feedback`` writes nbgrader's HTML feedback to ``feedback/STUDENT/ASSIGNMENT/``; ``execute=False``
    grades the outputs already in the notebooks (nbgrader's ``--no-execute``); ``cell_timeout``
    overrides nbgrader's per-cell limit from ``nbgrader_config.py``; ``env`` adds environment variables
    for the kernels (``MLDEPLOY_SPARK``, for instance). ``sandbox=False`` runs each kernel with the grader's
    rights (a learner grading their own notebooks); with ``sandbox=True`` and no sandbox possible here,
    ``SandboxUnavailableError`` says why.
    """
    submissions = submissions.resolve()
    found = sorted({(path.parent.parent.name, path.parent.name) for path in submissions.glob("*/*/*.ipynb")})
    if not found:
        raise FileNotFoundError(
            f"No submissions under {submissions}: expected STUDENT/ASSIGNMENT/NOTEBOOK.ipynb "
            f"(for example {submissions}/alice/00_deployment_modes/00_deployment_modes.ipynb)."
        )
    grades_csv = (grades_csv or course / "grades.csv").resolve()
    sandboxed = sandbox and execute
    if sandboxed and (problem := sandbox_problem()):
        raise SandboxUnavailableError(problem)
    log: list[str] = []
    problems: list[str] = []
    options = [f"--CourseDirectory.submitted_directory={submissions}", "--force"]
    options += [] if execute else ["--no-execute"]
    options += [] if cell_timeout is None else [f"--Execute.timeout={cell_timeout}"]
    with tempfile.TemporaryDirectory(prefix="mldeploy-release-") as scratch, LakeGuard(lake_dir()) as lake, \
            tempfile.TemporaryDirectory(prefix="mldeploy-grading-") as boxes:
        kernels = SandboxedKernels(Path(boxes), env, course, submissions, found) if sandboxed else None
        for assignment in sorted({assignment for _, assignment in found}):
            if generate:
                log.append(release(course, assignment, Path(scratch)))
                if check_release:
                    problems += release_drift(course, assignment, Path(scratch))
        for student, assignment in found:
            student_options, student_env = options, env
            if kernels:
                box = kernels.for_student(submissions / student / assignment)
                student_options, student_env = [*options, *box.nbgrader_options()], {**(env or {}), **box.grader_env()}
            try:
                student_log = nbgrader(course, "autograde", assignment, f"--student={student}", *student_options,
                                       timeout=student_timeout, env=student_env)
                log.append(student_log)
                problems += [f"{student}/{assignment}: {problem}" for problem in execution_problems(student_log)]
            except (RuntimeError, TimeoutError) as failure:
                problems.append(f"{student}/{assignment}: not graded: {str(failure).splitlines()[0]}")
                log.append(str(failure))
            if kernels and (opened := kernels.tripwire.opened()):
                problems.append(f"{student}/{assignment}: tried to reach hidden files ({', '.join(opened)}); "
                                f"it found only stand-ins")
            restored = lake.restore()
            if restored:
                problems.append(f"{student}/{assignment}: the submission changed the data lake "
                                f"({len(restored)} files, e.g. {restored[0]}); it was restored")
        if kernels:
            kernels.tripwire.close()
    if feedback:
        for assignment in sorted({assignment for _, assignment in found}):
            log.append(nbgrader(course, "generate_feedback", assignment, "--force"))
    log.append(nbgrader(course, "export", f"--to={grades_csv}"))
    with open(grades_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return GradingResult(grades_csv, rows, "\n".join(log), cell_scores(course, found), problems, course / "autograded")


def execution_problems(autograde_log: str) -> list[str]:
    """What one student's ``nbgrader autograde`` log says went wrong with the submission's kernel."""
    problems = []
    if TAMPERED in autograde_log:
        problems.append(f"{TAMPERED} (a submission changed how its kernel runs cells): its test cells from then on "
                        f"scored zero")
    if "DeadKernelError" in autograde_log or "Kernel died" in autograde_log:
        problems.append("its kernel died (killed by a sandbox limit, or by the submission itself); the cells after "
                        "it failed")
    return problems


class SandboxedKernels:
    """One sandbox per student, sharing one copy of the jar caches (see ``sandbox.py``)."""

    #: What the grader keeps in the course folder and a kernel must never read (each gets a stand-in there).
    SECRETS = ("solutions", "autograded", "submitted", "feedback", "exchange", "release", "gradebook.db", "grades.csv")

    def __init__(self, folder: Path, env: dict[str, str] | None, course: Path, submissions: Path,
                 found: list[tuple[str, str]]) -> None:
        self.folder = folder
        self.as_root = os.geteuid() == 0
        self.count = 0
        cache = cache_dir()
        # The overlay's lower layer must be writable to the kernel's user for Ivy to write beside the jars. The
        # JVM's class-data archive (200 MB, only ever read) is not copied: it is shown read-only in the overlay.
        lower = writable_copy(cache, folder / "cache", leave_out=(archive_dir().name,)) if self.as_root else cache
        self.overlays = {str(cache): str(lower)}
        self.read_only = [str(path) for path in (*python_paths(), lake_dir(), archive_dir())]
        self.env = sandbox_env({**(env or {}), "MLDEPLOY_LAKE": str(lake_dir()), "MLDEPLOY_CACHE": str(cache)})
        stand_ins = self.stand_ins(folder / "stand-ins", sorted({assignment for _, assignment in found}))
        self.decoys = {str(course.resolve() / name): str(stand_ins / name) for name in self.SECRETS}
        self.decoys[str(submissions)] = str(stand_ins / "submitted")
        self.tripwire = Tripwire({name: stand_ins / name for name in self.SECRETS})

    @classmethod
    def stand_ins(cls, folder: Path, assignments: list[str]) -> Path:
        """Harmless files and folders named like the grader's secrets; opening one trips the wire."""
        note = "Not available while grading: the grader keeps this outside the sandbox.\n"
        for name in cls.SECRETS:
            if "." in name:
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_text(note)
            else:
                for assignment in assignments:
                    (folder / name / assignment).mkdir(parents=True, exist_ok=True)
                    (folder / name / assignment / "README.txt").write_text(note)
        return folder

    def for_student(self, submission: Path) -> StudentSandbox:
        # Numbered, not named: a Unix socket's path (the kernel's channel) must stay under 108 bytes.
        self.count += 1
        folder = self.folder / f"s{self.count}"
        spec = SandboxSpec(scratch=str(folder), read_only=self.read_only, overlays=self.overlays, env=self.env,
                           files_from=str(submission), decoys=self.decoys,
                           drop_to_uid=sandbox_uid() if self.as_root else None)
        return prepare_student(folder, spec)


def cell_scores(course: Path, graded: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, tuple[float | None, float]]]:
    """Per test cell scores from nbgrader's gradebook; a submission never graded has no entry."""
    from nbgrader.api import Gradebook, MissingEntry

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, assignment in graded:
            try:
                submission = gradebook.find_submission(assignment, student)
            except MissingEntry:
                continue
            cells = {}
            for notebook in submission.notebooks:
                for grade_entry in notebook.grades:
                    if grade_entry.cell_type == "code":
                        cells[grade_entry.name] = (grade_entry.auto_score, grade_entry.max_score)
            scores[(student, assignment)] = cells
    return scores
