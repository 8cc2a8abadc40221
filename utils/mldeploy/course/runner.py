"""Run lesson notebooks headless, each in a fresh working folder, and report a table.

``make run`` uses this to execute every solution notebook as a learner runs the lesson (the answers in,
the hidden tests out: those run only when a notebook is graded) and keep the executed copies under
``build/run/<lesson>/``. ``make run HIDDEN=1`` keeps the hidden tests in, and the table then says how much of
each run they took. ``build/run/cell_seconds.csv`` lists every cell's seconds, to find what a lesson spends
its time on.

Lessons run two at a time where the machine has two cores or more (``make run JOBS=1``: one at a time, as a
learner runs them, and as the times in each lesson's header were measured), the longest first.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

from ..paths import COURSE_ROOT
from .nbgrader_hooks import HIDDEN_REGION
from .notebooks import copy_without_leftovers, lesson_name, measured_seconds, solution_notebooks

#: What stands in a test cell for its hidden tests when a lesson runs without them.
HIDDEN_LEFT_OUT = "# (hidden tests: they run when the notebook is graded)"

#: No lesson cell needs 5 minutes (nbgrader_config.py uses the same limit): a hang fails in minutes.
CELL_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class CellTime:
    index: int
    first_line: str
    seconds: float
    hidden_tests: bool


@dataclass(frozen=True)
class LessonRun:
    lesson: str
    status: str
    seconds: float
    executed: Path
    error: str = ""
    cells: list[CellTime] = field(default_factory=list)

    @property
    def hidden_test_seconds(self) -> float:
        return sum(cell.seconds for cell in self.cells if cell.hidden_tests)


def cell_times(nb: nbformat.NotebookNode) -> list[CellTime]:
    """Each executed code cell's seconds, from the timestamps nbclient records in its metadata."""
    times = []
    for index, cell in enumerate(nb.cells):
        execution = cell.get("metadata", {}).get("execution", {})
        started, ended = execution.get("iopub.execute_input"), execution.get("shell.execute_reply")
        if cell.cell_type != "code" or not (started and ended):
            continue
        seconds = (datetime.fromisoformat(ended.replace("Z", "+00:00"))
                   - datetime.fromisoformat(started.replace("Z", "+00:00"))).total_seconds()
        times.append(CellTime(index, cell.source.strip().split("\n")[0][:100], seconds,
                              bool(HIDDEN_REGION.search(cell.source))))
    return times


def run_notebook(notebook: Path, workdir: Path, timeout: int = CELL_TIMEOUT_SECONDS,
                 hidden_tests: bool = True) -> LessonRun:
    """Execute ``notebook`` with ``workdir`` (emptied first) as its folder; keep the executed copy there.

    Without ``hidden_tests`` each test cell's hidden region is left out, as in the student's notebook.
    """
    shutil.rmtree(workdir, ignore_errors=True)
    copy_without_leftovers(notebook.parent, workdir)
    executed = workdir / notebook.name
    nb = nbformat.read(executed, as_version=4)
    if not hidden_tests:
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.source = HIDDEN_REGION.sub(HIDDEN_LEFT_OUT, cell.source)
    started = time.perf_counter()
    status, error = "ok", ""
    # The kernel's channels as Unix sockets in a private folder (IPC), not TCP on loopback: the same
    # isolation, and no "Kernel is running over TCP without encryption" warning for every lesson.
    with tempfile.TemporaryDirectory(prefix="mldeploy-kernel-") as sockets:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(Path(sockets) / "k")
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", config=config,
                                resources={"metadata": {"path": str(workdir)}})
        try:
            client.execute()
        except CellExecutionError as failure:
            status, error = "failed", _first_error_line(str(failure))
        except Exception as failure:  # a dead kernel or a timeout: still report, still save
            status, error = "failed", f"{type(failure).__name__}: {failure}"[:300]
    seconds = time.perf_counter() - started
    nbformat.write(nb, executed)
    return LessonRun(lesson_name(notebook), status, seconds, executed, error, cell_times(nb))


def _first_error_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "Exception" in line]
    return (errors[-1] if errors else lines[-1])[:300]


def format_table(runs: list[LessonRun], hidden_tests: bool = True) -> str:
    """Lesson, status and seconds as a plain-text table; with hidden tests, their share and the rest."""
    width = max([len("lesson"), *(len(run.lesson) for run in runs)])
    extra, rule = ("  hidden tests  learner's run", "  ------------  -------------") if hidden_tests else ("", "")
    lines = [f"{'lesson':<{width}}  status  seconds{extra}", f"{'-' * width}  ------  -------{rule}"]
    for run in runs:
        hidden = run.hidden_test_seconds
        split = f"  {hidden:12.1f}  {run.seconds - hidden:13.1f}" if hidden_tests else ""
        lines.append(f"{run.lesson:<{width}}  {run.status:<6}  {run.seconds:7.1f}{split}")
        if run.error:
            lines.append(f"{'':<{width}}  {run.error}")
    return "\n".join(lines)


def default_jobs() -> int:
    """Two lessons at a time on two cores or more: one lesson leaves a core idle much of its run (kernel
    start, Spark's start, a server or a stream that waits). On a 2-core laptop (7 Dec 2026) the eleven lessons
    took 757 s one at a time and about 525 s two at a time, both cores then 96% busy."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _one_openmp_thread() -> None:
    """Beside another lesson, scikit-learn's second OpenMP thread spins while it waits for the busy core: a
    0.5 s fit took 8-40 s that way (tests/background.py measured it). The lesson's kernel inherits this."""
    os.environ["OMP_NUM_THREADS"] = "1"


def run_lessons(out: Path = COURSE_ROOT / "build" / "run", lessons: list[Path] | None = None,
                hidden_tests: bool = False, jobs: int = 1) -> list[LessonRun]:
    """Run every solution notebook (or ``lessons``) in ``out/<lesson>/``, ``jobs`` at a time, printing progress.

    Each lesson runs in a process of its own (its kernel and Spark are children of that process); with more
    than one job, the longest lessons (by their **Time:** lines) start first, so that no lane ends long after
    the other. The table lists the lessons in course order.
    """
    notebooks = lessons or solution_notebooks()
    if jobs > 1:
        notebooks = sorted(notebooks, key=measured_seconds, reverse=True)
    print(f"running {len(notebooks)} lessons, {jobs} at a time{' (longest first)' if jobs > 1 else ''} ...", flush=True)
    runs, started_at = [], time.perf_counter()
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_one_openmp_thread if jobs > 1 else None) as pool:
        started = [pool.submit(run_notebook, notebook, out / lesson_name(notebook), hidden_tests=hidden_tests)
                   for notebook in notebooks]
        for finished in as_completed(started):
            run = finished.result()
            print(f"  {run.lesson}: {run.status} in {run.seconds:.1f} s -> {run.executed}", flush=True)
            runs.append(run)
    runs.sort(key=lambda run: run.lesson)
    write_cell_seconds(runs, out / "cell_seconds.csv")
    print()
    print(format_table(runs, hidden_tests))
    total, hidden = sum(run.seconds for run in runs), sum(run.hidden_test_seconds for run in runs)
    split = (f", {hidden:.0f} s of it hidden tests" if hidden_tests
             else " as a learner runs them (`make run HIDDEN=1` adds the hidden tests, as grading does)")
    together = (f" ({total:.0f} s of lessons, {jobs} at a time: each is slower beside another; "
                "`make run JOBS=1` times each alone)" if jobs > 1 else "")
    print(f"{len(runs)} lessons in {time.perf_counter() - started_at:.0f} s{together}{split}; "
          f"every cell's seconds: {out / 'cell_seconds.csv'}")
    return runs


def write_cell_seconds(runs: list[LessonRun], path: Path) -> None:
    """One row per executed cell of every lesson: where each lesson's time goes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(["lesson", "cell", "seconds", "hidden_tests", "first_line"])
        for run in runs:
            for cell in run.cells:
                writer.writerow([run.lesson, cell.index, f"{cell.seconds:.2f}", cell.hidden_tests, cell.first_line])
