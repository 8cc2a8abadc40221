"""What the grading sandbox costs: ``make grade`` on the same submissions of a lesson, sandboxed and not.

Lesson 00's reference answers, handed in by N students (default 10), are graded twice in one run, the two
ways interleaved student by student (so a machine that gets busier halfway hurts both alike): with the
sandbox (the default of ``make grade``) and with ``sandbox=False`` (``UNSAFE=1``). Prints seconds per
student and the ratio; goal <= 1.2x. Every grade must be full marks both ways, or the timing means nothing.

    python bench/grading.py [--submissions 10] [--lesson 00_deployment_modes]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from mldeploy.course.grading import grade, release
from mldeploy.course.notebooks import copy_without_leftovers, with_reference_answers
from mldeploy.paths import COURSE_ROOT

GOAL = 1.2


def course_copy(folder: Path, lesson: str) -> Path:
    """The course's nbgrader parts with ``lesson`` released (its gradebook knows the assignment)."""
    for part in ("solutions", "notebooks"):
        copy_without_leftovers(COURSE_ROOT / part / lesson, folder / part / lesson)
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", folder)
    release(folder, lesson, folder / "release")
    return folder


def submission(folder: Path, course: Path, lesson: str, student: str) -> Path:
    released = nbformat.read(course / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)
    notebook = with_reference_answers(released, course / "solutions" / lesson / f"{lesson}.ipynb")
    target = folder / student / lesson / f"{lesson}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(notebook, target)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10)
    parser.add_argument("--lesson", default="00_deployment_modes")
    args = parser.parse_args()
    seconds: dict[bool, list[float]] = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="mldeploy-bench-grading-") as scratch:
        course = course_copy(Path(scratch) / "course", args.lesson)
        for number in range(args.submissions):
            for sandboxed in (True, False) if number % 2 == 0 else (False, True):
                folder = submission(Path(scratch) / f"{number}-{sandboxed}", course, args.lesson, f"student{number}")
                started = time.perf_counter()
                result = grade(folder, course=course, grades_csv=folder / "grades.csv", generate=False,
                               sandbox=sandboxed)
                seconds[sandboxed].append(time.perf_counter() - started)
                row = next(row for row in result.rows if row["student_id"] == f"student{number}")
                if float(row["score"]) != float(row["max_score"]) or result.problems:
                    print(f"student{number} ({'sandboxed' if sandboxed else 'unsandboxed'}): {row['score']} of "
                          f"{row['max_score']}; {result.problems}", file=sys.stderr)
                    return 1
                print(f"  student{number:<3} {'sandboxed' if sandboxed else 'unsandboxed':<12} "
                      f"{seconds[sandboxed][-1]:6.1f} s", flush=True)
    sandboxed, plain = sum(seconds[True]), sum(seconds[False])
    print(f"{args.submissions} submissions of {args.lesson}: sandboxed {sandboxed:.0f} s "
          f"(median {statistics.median(seconds[True]):.1f} s), unsandboxed {plain:.0f} s "
          f"(median {statistics.median(seconds[False]):.1f} s)")
    ratio = sandboxed / plain
    print(f"sandboxed / unsandboxed: {ratio:.2f}x (goal <= {GOAL}x): {'met' if ratio <= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
