"""Reading the course's notebooks: where they are, their sections and their nbgrader items."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat

from ..paths import COURSE_ROOT

#: What running a lesson leaves beside its notebook (also in nbgrader_config.py's ignore list).
RUN_LEFTOVERS = ("work", "mlruns", "mlflow.db", "spark-warehouse", "metastore_db", "derby.log", ".*")


def copy_without_leftovers(source: Path, target: Path) -> None:
    """Copy a lesson folder (or a tree of them) without what earlier runs left in it."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*RUN_LEFTOVERS))


def solution_notebooks(root: Path = COURSE_ROOT) -> list[Path]:
    """Every lesson's solution notebook (``solutions/NN_name/NN_name.ipynb``), in lesson order."""
    return sorted(root.glob("solutions/[0-9]*/*.ipynb"))


def lesson_name(notebook: Path) -> str:
    """The lesson (nbgrader assignment) a notebook belongs to: its folder's name."""
    return notebook.parent.name


#: The **Time:** line at the top of a lesson: how long ``make run`` took, and how much grading's hidden tests add.
TIME_TOOK = re.compile(r"\*\*Time:\*\* .*?took (\d+) s", re.DOTALL)
TIME_HIDDEN_TESTS = re.compile(r"hidden tests, (\d+) s more")


def measured_seconds(notebook: Path) -> int:
    """How long ``notebook`` runs with its hidden tests (as grading runs it), from its own **Time:** line; 0 if none.

    Only an order (longest first) is made from it: a stale figure reorders the runs, it fails nothing.
    """
    intro = "".join(nbformat.read(notebook, as_version=4).cells[0].source)
    return sum(int(found.group(1)) for pattern in (TIME_TOOK, TIME_HIDDEN_TESTS) if (found := pattern.search(intro)))


def graded_items(notebook: Path) -> dict[str, float]:
    """Autograded test cells of a notebook: grade_id -> points."""
    items = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            items[meta["grade_id"]] = float(meta.get("points", 0))
    return items


def grade_ids(notebook: Path) -> set[str]:
    """Every nbgrader cell id in a notebook (solution, test and locked cells)."""
    ids = set()
    for cell in nbformat.read(notebook, as_version=4).cells:
        if "grade_id" in cell.metadata.get("nbgrader", {}):
            ids.add(cell.metadata["nbgrader"]["grade_id"])
    return ids


def learner_view(notebook: Path) -> list[tuple[str, str, dict]]:
    """What a learner sees of a notebook: each cell's type, source and nbgrader metadata."""
    return [
        (cell.cell_type, cell.source, cell.metadata.get("nbgrader", {}))
        for cell in nbformat.read(notebook, as_version=4).cells
    ]


SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def without_solution_markers(source: str) -> str:
    """An answer as a learner would write it: the solution's code without nbgrader's marker lines."""
    return "\n".join(line for line in source.splitlines() if not SOLUTION_MARKERS.match(line))


def with_reference_answers(student: nbformat.NotebookNode, solution: Path) -> nbformat.NotebookNode:
    """``student`` with each answer cell's source replaced by the solution's (markers removed)."""
    answers = {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in nbformat.read(solution, as_version=4).cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in student.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = without_solution_markers(answers[meta["grade_id"]])
    return student


def section_titles(notebook: Path) -> list[str]:
    """The markdown headings of a notebook, without their leading #."""
    titles = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            titles += [m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+)$", cell.source, re.MULTILINE)]
    return titles
