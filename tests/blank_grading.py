"""The untouched student notebooks, graded by nbgrader in a process of their own from the session's start.

Each blank grading executes a whole lesson (about 15 minutes for all eleven, on one core). It starts with the
session, in a separate process, so it overlaps the rest of the suite too: most other tests wait on
subprocesses, servers and streams and leave a core idle. A process, not a thread: tests change
``os.environ`` (``MLDEPLOY_LAKE`` points at a fake lake in tests/test_grading.py), and a grading thread in
the test process would read those changes; the process keeps the environment of the session's start.
``MLDEPLOY_TEST_OVERLAP=0`` grades each blank only when its test asks, on both cores.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from mldeploy.course.grading import GradingResult, grade, release
from mldeploy.course.notebooks import copy_without_leftovers, lesson_name, solution_notebooks
from mldeploy.paths import COURSE_ROOT

LESSONS = solution_notebooks(COURSE_ROOT)
LESSON_TIMEOUT_SECONDS = 20 * 60
OVERLAP = os.environ.get("MLDEPLOY_TEST_OVERLAP", "1") != "0"
#: The test that waits for a lesson's blank grading (tests/test_notebooks.py).
BLANK_TEST = "test_untouched_notebook_is_graded_and_fails_every_test"
#: Beside the foreground, the blank grading keeps to one core: two processes that each spin two OpenMP and
#: two Spark threads on a 2-core machine slowed both 2-4x (measured), more than they overlapped.
BLANK_ENV = {"MLDEPLOY_SPARK": "local[1]", "OMP_NUM_THREADS": "1"}


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


def grade_blank(lesson: Path, course: Path, folder: Path) -> tuple[GradingResult, float]:
    """nbgrader grades the untouched student notebook of ``lesson``; returns the result and its seconds."""
    submission = folder / lesson_name(lesson) / "blank" / lesson_name(lesson)
    submission.mkdir(parents=True)
    shutil.copy(student_notebook(lesson), submission / lesson.name)
    started = time.perf_counter()
    result = grade(submission.parent.parent, course=course, grades_csv=submission.parent / "grades.csv",
                   generate=False, student_timeout=LESSON_TIMEOUT_SECONDS, env=BLANK_ENV if OVERLAP else None)
    return result, time.perf_counter() - started


class Deferred:
    """A future-like call that runs when its result is first asked for."""

    def __init__(self, function, *args) -> None:
        self.function, self.args = function, args

    def result(self, timeout: float | None = None):
        if not hasattr(self, "_value"):
            self._value = self.function(*self.args)
        return self._value


def start_blank_gradings(lessons: list[Path], course: Path, folder: Path) -> tuple[dict[str, Future | Deferred],
                                                                                  ProcessPoolExecutor | None]:
    """One future per lesson, graded one after the other in a spawned process (or deferred, without overlap)."""
    if not OVERLAP:
        return {lesson_name(lesson): Deferred(grade_blank, lesson, course, folder) for lesson in lessons}, None
    # spawn, not fork: the test process runs a JVM gateway's threads, which a forked child would not have.
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return {lesson_name(lesson): pool.submit(grade_blank, lesson, course, folder) for lesson in lessons}, pool
