"""The autograding round trip, on a copy of the course in a temporary folder.

- ``notebooks/`` is exactly what ``nbgrader generate_assignment`` makes from ``solutions/`` (no drift);
- every solution notebook runs top to bottom under nbval in a fresh working folder;
- the student notebook with the reference answers filled in gets full marks, the untouched student
  notebook gets zero, and nbgrader itself reports no error for either.

These tests execute every lesson three times (nbval, reference, blank), so they are most of ``make test``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mldeploy.course.grading import grade, nbgrader
from mldeploy.course.notebooks import copy_without_leftovers, graded_items, lesson_name, solution_notebooks
from mldeploy.paths import COURSE_ROOT

LESSONS = solution_notebooks(COURSE_ROOT)
SOLUTION_MARKERS = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")


def student_notebook(lesson: Path, root: Path = COURSE_ROOT) -> Path:
    return root / "notebooks" / lesson_name(lesson) / lesson.name


@pytest.fixture(scope="session")
def course_copy(tmp_path_factory) -> Path:
    """The course's nbgrader parts in a temporary folder; nbgrader_config.py makes it the course root."""
    root = tmp_path_factory.mktemp("course")
    for part in ("solutions", "notebooks"):
        copy_without_leftovers(COURSE_ROOT / part, root / part)
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", root)
    return root


def cells_of(notebook: Path) -> list[tuple[str, str, dict]]:
    """What a learner sees of a notebook: each cell's type, source and nbgrader metadata."""
    return [
        (cell.cell_type, cell.source, cell.metadata.get("nbgrader", {}))
        for cell in nbformat.read(notebook, as_version=4).cells
    ]


def test_every_lesson_has_a_student_version():
    assert LESSONS, "No solution notebooks found under solutions/."
    missing = [str(student_notebook(lesson)) for lesson in LESSONS if not student_notebook(lesson).exists()]
    assert not missing, f"Run `make release` to generate the student notebooks: missing {missing}."


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_student_version_has_no_drift(lesson: Path, course_copy: Path):
    """notebooks/ equals a fresh generate_assignment of solutions/ (no answers or hidden tests leak)."""
    generated = student_notebook(lesson, course_copy)
    generated.unlink()
    nbgrader(course_copy, "generate_assignment", lesson_name(lesson), "--force")
    committed = cells_of(student_notebook(lesson))
    assert committed == cells_of(generated), (
        f"notebooks/{lesson_name(lesson)} is not what `make release` makes from solutions/: run `make release`."
    )
    released = "\n".join(source for _, source, _ in committed)
    assert "BEGIN SOLUTION" not in released and "BEGIN HIDDEN TESTS" not in released


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_solution_runs_under_nbval(lesson: Path, tmp_path: Path):
    """Each solution notebook executes top to bottom, in a fresh folder, with no cell raising."""
    folder = tmp_path / lesson_name(lesson)
    copy_without_leftovers(lesson.parent, folder)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=900",
         "-p", "no:cacheprovider", "-q", lesson.name],
        cwd=folder, capture_output=True, text=True,
    )
    assert done.returncode == 0, f"nbval failed for {lesson.name}:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"


def with_reference_answers(student: Path, solution: Path) -> nbformat.NotebookNode:
    """The student notebook with each answer cell replaced by the solution's (markers removed)."""
    answers = {
        cell.metadata["nbgrader"]["grade_id"]: cell.source
        for cell in nbformat.read(solution, as_version=4).cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }
    notebook = nbformat.read(student, as_version=4)
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            lines = answers[meta["grade_id"]].splitlines()
            cell.source = "\n".join(line for line in lines if not SOLUTION_MARKERS.match(line))
    return notebook


@pytest.fixture(scope="session")
def grading(course_copy: Path, tmp_path_factory):
    """Autograde two learners for every lesson: `reference` (the solutions) and `blank` (untouched)."""
    submissions = tmp_path_factory.mktemp("submitted")
    for lesson in LESSONS:
        student = student_notebook(lesson)
        for learner in ("reference", "blank"):
            folder = submissions / learner / lesson_name(lesson)
            folder.mkdir(parents=True)
            notebook = with_reference_answers(student, lesson) if learner == "reference" else nbformat.read(student, 4)
            nbformat.write(notebook, folder / lesson.name)
    result = grade(submissions, course=course_copy, grades_csv=tmp_path_factory.mktemp("grades") / "grades.csv")
    scores = {(row["student_id"], row["assignment"]): row for row in result.rows}
    return result, scores, course_copy / "autograded"


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_reference_answers_get_full_marks(lesson: Path, grading):
    result, scores, autograded = grading
    row = scores[("reference", lesson_name(lesson))]
    points = sum(graded_items(lesson).values())
    assert float(row["max_score"]) == points > 0
    assert float(row["score"]) == points, (
        f"The reference answers of {lesson_name(lesson)} scored {row['score']} of {points}; "
        f"see the autograded notebook under {autograded}.\n{result.log[-4000:]}"
    )


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_untouched_notebook_gets_zero(lesson: Path, grading):
    _, scores, _ = grading
    assert float(scores[("blank", lesson_name(lesson))]["score"]) == 0


def test_grader_reports_no_errors(grading):
    result, _, _ = grading
    assert not result.errors, "nbgrader reported errors:\n" + "\n".join(result.errors)
