"""The test session's second lane: a process of its own, from the session's first test, for the longest work.

In that process, one after the other: the course's release (``nbgrader generate_assignment`` of every
lesson, 40 s the first test used to wait for); nbgrader's grading of each untouched student notebook, a whole
lesson's execution each (about 20 minutes for all eleven, on one core); then, from the shortest lesson up, the
solutions' nbval runs that the foreground has not reached yet (it runs tests/test_notebooks.py last, from the
longest lesson down; whoever asks first for a lesson runs it, see ``claim``). Both cores stay busy to the end:
until December 2026 this process stopped after the blanks and the foreground ran the last 20 minutes alone.
The two lanes meet at short lessons, so the one run a lane waits for at the end is short (in lesson order they
met among the longest: one lane sat idle for most of a 3-4 minute run).

A process, not a thread: tests change ``os.environ`` (``MLDEPLOY_LAKE`` points at a fake lake in
tests/test_grading.py), and a thread in the test process would read those changes; the process keeps the
environment of the session's start. ``MLDEPLOY_TEST_OVERLAP=0`` runs everything in the foreground, each part
when its test asks, on both cores.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from mldeploy.course.grading import GradingResult, grade, release
from mldeploy.course.notebooks import copy_without_leftovers, lesson_name, measured_seconds, solution_notebooks
from mldeploy.course.runner import CELL_TIMEOUT_SECONDS
from mldeploy.paths import COURSE_ROOT

LESSONS = solution_notebooks(COURSE_ROOT)


#: The order of the nbval runs (longest first by the lessons' own **Time:** lines): the foreground takes them from the
#: first, the background from the last.
LESSONS_LONGEST_FIRST = sorted(LESSONS, key=measured_seconds, reverse=True)
LESSON_TIMEOUT_SECONDS = 20 * 60
OVERLAP = os.environ.get("MLDEPLOY_TEST_OVERLAP", "1") != "0"
#: The tests that wait for a lesson's blank grading and run its solution under nbval (tests/test_notebooks.py).
BLANK_TEST = "test_untouched_notebook_is_graded_and_fails_every_test"
NBVAL_TEST = "test_solution_runs_under_nbval"
#: Beside the foreground, the blank grading keeps to one core: two processes that each spin two OpenMP and
#: two Spark threads on a 2-core machine slowed both 2-4x (measured), more than they overlapped.
BLANK_ENV = {"MLDEPLOY_SPARK": "local[1]", "OMP_NUM_THREADS": "1"}
#: nbval's model fits keep to one OpenMP thread too: with the other core busy, scikit-learn's second thread
#: spins while it waits, and a 0.5 s fit took 8-40 s (lesson 01: 295 s warm with two threads, 115-140 s with
#: one, the same outputs).
NBVAL_ENV = {"OMP_NUM_THREADS": "1"} if OVERLAP else {}


def student_notebook(lesson: Path, root: Path = COURSE_ROOT) -> Path:
    return root / "notebooks" / lesson_name(lesson) / lesson.name


def release_course(root: Path) -> Path:
    """The course's nbgrader parts in ``root``, each lesson released once into ``release/``."""
    for part in ("solutions", "notebooks"):
        copy_without_leftovers(COURSE_ROOT / part, root / part)
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", root)
    for lesson in LESSONS:
        release(root, lesson_name(lesson), root / "release")
    return root


def copy_course(released: Path, root: Path) -> Path:
    """A copy of the released course, gradebook included, so two learners can be graded at once."""
    shutil.copytree(released, root, dirs_exist_ok=True)
    return root


def grade_blank(lesson: Path, released: Path, course: Path, folder: Path) -> tuple[GradingResult, float]:
    """nbgrader grades the untouched student notebook of ``lesson``; returns the result and its seconds.

    ``course`` is the blank learner's copy of the ``released`` course, made by the first grading that needs it.
    """
    if not (course / "release").is_dir():
        copy_course(released, course)
    submission = folder / lesson_name(lesson) / "blank" / lesson_name(lesson)
    submission.mkdir(parents=True)
    shutil.copy(student_notebook(lesson), submission / lesson.name)
    started = time.perf_counter()
    result = grade(submission.parent.parent, course=course, grades_csv=submission.parent / "grades.csv",
                   generate=False, student_timeout=LESSON_TIMEOUT_SECONDS, env=BLANK_ENV if OVERLAP else None)
    return result, time.perf_counter() - started


@dataclass
class NbvalRun:
    """One solution notebook's run under nbval: its exit code, the end of its output, its seconds."""

    returncode: int
    output: str
    seconds: float


def run_nbval(lesson: Path, folder: Path, executed: Path) -> NbvalRun:
    """Run ``lesson``'s solution top to bottom under nbval in a fresh ``folder``; its outputs go to ``executed``."""
    copy_without_leftovers(lesson.parent, folder)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
         f"--nbval-cell-timeout={CELL_TIMEOUT_SECONDS}", "-p", "no:cacheprovider", "-q",
         "-p", "mldeploy.course.nbval_outputs", f"--save-executed={executed / lesson_name(lesson) / lesson.name}",
         lesson.name],
        cwd=folder, capture_output=True, text=True, timeout=LESSON_TIMEOUT_SECONDS, env=os.environ | NBVAL_ENV,
    )
    return NbvalRun(done.returncode, f"{done.stdout[-6000:]}\n{done.stderr[-2000:]}", time.perf_counter() - started)


def claim(claims: Path, lesson: Path) -> bool:
    """True for the first lane that asks to run ``lesson`` under nbval (it creates a file no one else can)."""
    try:
        os.close(os.open(claims / lesson_name(lesson), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        return False
    return True


def nbval_from_the_shortest(lessons: list[Path], claims: Path, folder: Path, executed: Path) -> dict[str, NbvalRun]:
    """The background's nbval runs: from the shortest lesson up, until one the foreground has already taken."""
    runs = {}
    for lesson in sorted(lessons, key=LESSONS_LONGEST_FIRST.index, reverse=True):
        if not claim(claims, lesson):
            break
        runs[lesson_name(lesson)] = run_nbval(lesson, folder / lesson_name(lesson), executed)
    return runs


class Deferred:
    """A future-like call that runs when its result is first asked for (after the calls it waits for)."""

    def __init__(self, function, *args, after: tuple["Deferred", ...] = ()) -> None:
        self.function, self.args, self.after = function, args, after

    def result(self, timeout: float | None = None):
        if not hasattr(self, "_value"):
            for first in self.after:
                first.result()
            self._value = self.function(*self.args)
        return self._value


@dataclass
class Background:
    """What the second lane does or will do: futures (or, without overlap, calls deferred until asked for)."""

    #: The course, released (its folder once done).
    released: Future | Deferred
    #: Lesson -> its blank grading: (result, seconds).
    blanks: dict[str, Future | Deferred]
    #: Where each nbval run leaves the executed notebook (the reference gradings read it), and the claims.
    executed: Path
    claims: Path
    #: Lesson -> NbvalRun for the lessons the background ran (None: it runs none).
    nbval_runs: Future | None = None
    pool: ProcessPoolExecutor | None = None

    def nbval(self, lesson: Path, folder: Path) -> NbvalRun:
        """``lesson``'s nbval run: here, in ``folder``, unless the background has taken it (then wait for it)."""
        if self.nbval_runs is None or claim(self.claims, lesson):
            return run_nbval(lesson, folder, self.executed)
        return self.nbval_runs.result(timeout=LESSON_TIMEOUT_SECONDS)[lesson_name(lesson)]


def start_background(blank_lessons: list[Path], nbval_lessons: list[Path], folder: Path) -> Background:
    """Release the course, grade each lesson's blank in a copy of it, then run the shortest lessons under nbval.

    With overlap (and blanks to grade), one spawned process does it all, in that order, in ``folder``;
    without, each part runs when a test first asks for it, and the foreground runs every nbval.
    """
    released, course, submitted, executed, claims, runs = (
        folder / name for name in ("course", "course-blank", "submitted-blank", "executed", "claims", "nbval"))
    for path in (released, course, submitted, executed, claims, runs):
        path.mkdir(parents=True)
    if not OVERLAP or not blank_lessons:
        release = Deferred(release_course, released)
        return Background(release, {lesson_name(lesson): Deferred(grade_blank, lesson, released, course, submitted,
                                                                  after=(release,)) for lesson in blank_lessons},
                          executed, claims)
    # spawn, not fork: the test process runs a JVM gateway's threads, which a forked child would not have.
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    release = pool.submit(release_course, released)  # one worker: it runs before every grading below
    blanks = {lesson_name(lesson): pool.submit(grade_blank, lesson, released, course, submitted)
              for lesson in blank_lessons}
    return Background(release, blanks, executed, claims,
                      pool.submit(nbval_from_the_shortest, nbval_lessons, claims, runs, executed), pool)
