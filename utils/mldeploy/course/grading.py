"""Autograde a folder of submissions with nbgrader and write the grades as CSV (``make grade``).

Submissions are laid out as nbgrader collects them: ``DIR/STUDENT/ASSIGNMENT/NOTEBOOK.ipynb``.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..paths import COURSE_ROOT


@dataclass(frozen=True)
class GradingResult:
    grades_csv: Path
    rows: list[dict[str, str]]
    log: str

    @property
    def errors(self) -> list[str]:
        """Lines where nbgrader itself reported an error (not a student's failing test)."""
        return [line for line in self.log.splitlines() if "| ERROR]" in line or "| CRITICAL]" in line]


def nbgrader(course: Path, *args: str) -> str:
    """Run an nbgrader command in ``course``; return its log, raise with the log when it fails."""
    tools = Path(sys.executable).parent
    # nbgrader runs `alembic` by name to create its gradebook: this environment's tools come first.
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(tools / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True)
    log = done.stdout + done.stderr
    if done.returncode != 0:
        raise RuntimeError(f"`nbgrader {' '.join(args)}` failed ({done.returncode}):\n{log[-4000:]}")
    return log


def grade(submissions: Path, course: Path = COURSE_ROOT, grades_csv: Path | None = None) -> GradingResult:
    """Autograde every assignment found in ``submissions``; write and return the grades."""
    submissions = submissions.resolve()
    assignments = sorted({path.parent.name for path in submissions.glob("*/*/*.ipynb")})
    if not assignments:
        raise FileNotFoundError(
            f"No submissions under {submissions}: expected STUDENT/ASSIGNMENT/NOTEBOOK.ipynb "
            f"(for example {submissions}/alice/00_deployment_modes/00_deployment_modes.ipynb)."
        )
    grades_csv = (grades_csv or course / "grades.csv").resolve()
    log = []
    for assignment in assignments:
        # Records the source version of every test cell, hidden tests included, in the gradebook.
        log.append(nbgrader(course, "generate_assignment", assignment, "--force"))
        log.append(
            nbgrader(course, "autograde", assignment, "--force", f"--CourseDirectory.submitted_directory={submissions}")
        )
    log.append(nbgrader(course, "export", f"--to={grades_csv}"))
    with open(grades_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return GradingResult(grades_csv, rows, "\n".join(log))
