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


def section_titles(notebook: Path) -> list[str]:
    """The markdown headings of a notebook, without their leading #."""
    titles = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            titles += [m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+)$", cell.source, re.MULTILINE)]
    return titles
