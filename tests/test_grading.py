"""``make grade``'s own code against hostile and broken submissions, on a tiny assignment (no Spark).

Each submission is graded, the grader never crashes, an edited or deleted test cell is restored from
the source and still fails the wrong answer, an endless loop is cut by the cell timeout, and a
submission that rewrites the shared data lake leaves it as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from traitlets.config.loader import PyFileConfigLoader

from mldeploy.course.grading import grade, nbgrader
from mldeploy.course.lake_guard import fingerprint
from mldeploy.course.notebooks import with_reference_answers
from mldeploy.paths import COURSE_ROOT

ASSIGNMENT = "99_grading_check"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
RIGHT = "def double(x):\n    return 2 * x"
#: Passes the visible test (double(2) == 4) and nothing else.
WRONG = "def double(x):\n    return x + 2"


def grade_cell(grade_id: str, source: str, points: float) -> nbformat.NotebookNode:
    meta = {"grade": True, "grade_id": grade_id, "locked": True, "points": points, "schema_version": 3,
            "solution": False, "task": False}
    return new_code_cell(source, metadata={"nbgrader": meta})


def source_notebook() -> nbformat.NotebookNode:
    answer = {"grade": False, "grade_id": "answer", "locked": False, "schema_version": 3, "solution": True,
              "task": False}
    return new_notebook(cells=[
        new_markdown_cell("# Grading check\nWrite `double(x)`."),
        new_code_cell("import warnings\nfrom mldeploy import table_path"),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                      metadata={"nbgrader": answer}),
        grade_cell("visible", "assert double(2) == 4, 'double(2) should be 4'", 1),
        grade_cell("hidden", "### BEGIN HIDDEN TESTS\nassert double(21) == 42, 'double(21) should be 42'\n"
                             "assert double(-3) == -6\n### END HIDDEN TESTS", 2),
        grade_cell("warns", "warnings.warn('a harmless warning from the learner\\'s code')\n"
                            "assert double(0) == 0", 1),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course folder with one small assignment, released as `make release` would."""
    root = tmp_path_factory.mktemp("grading-course")
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", root)
    (root / "solutions" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(source_notebook(), root / "solutions" / ASSIGNMENT / NOTEBOOK)
    nbgrader(root, "generate_assignment", ASSIGNMENT)
    return root


@pytest.fixture(scope="module")
def fake_lake(tmp_path_factory) -> Path:
    lake = tmp_path_factory.mktemp("lake")
    for table in ("airlines", "flights"):
        (lake / table / "_delta_log").mkdir(parents=True)
        (lake / table / "_delta_log" / "00000000000000000000.json").write_text('{"commitInfo": {}}\n')
        (lake / table / "part-00000.parquet").write_bytes(bytes(range(256)) * 4)
    return lake


def submission(course: Path, answer: str, change=None) -> nbformat.NotebookNode:
    """The released notebook with ``answer`` in the answer cell; ``change`` edits the cell list."""
    notebook = nbformat.read(course / "notebooks" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = answer
    if change:
        change(notebook.cells)
    return notebook


def test_hostile_and_broken_submissions(course: Path, fake_lake: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MLDEPLOY_LAKE", str(fake_lake))
    released = (course / "notebooks" / ASSIGNMENT / NOTEBOOK).read_bytes()
    lake_before = fingerprint(fake_lake)

    def delete_hidden(cells):
        cells[:] = [cell for cell in cells if cell.metadata.get("nbgrader", {}).get("grade_id") != "hidden"]

    def hidden_to_pass(cells):
        for cell in cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "hidden":
                cell.source = "pass"

    def unmark_hidden(cells):  # the test cell stripped of its metadata and emptied: still restored
        for cell in cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "hidden":
                cell.metadata = {}
                cell.source = "pass"

    vandal = ("import shutil\nfrom pathlib import Path\n"
              "shutil.rmtree(table_path('airlines'))\n"
              "Path(table_path('flights'), 'part-99999.parquet').write_text('not parquet')\n" + RIGHT)
    learners = {
        "reference": with_reference_answers(
            nbformat.read(course / "notebooks" / ASSIGNMENT / NOTEBOOK, as_version=4),
            course / "solutions" / ASSIGNMENT / NOTEBOOK),
        "blank": nbformat.read(course / "notebooks" / ASSIGNMENT / NOTEBOOK, as_version=4),
        "raises": submission(course, "raise RuntimeError('my code is broken')"),
        "loops": submission(course, "while True:\n    pass"),
        "deletes_test": submission(course, WRONG, delete_hidden),
        "edits_test": submission(course, WRONG, hidden_to_pass),
        "unmarks_test": submission(course, WRONG, unmark_hidden),
        "vandal": submission(course, vandal),
    }
    submitted = tmp_path / "submitted"
    for learner, notebook in learners.items():
        (submitted / learner / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(notebook, submitted / learner / ASSIGNMENT / NOTEBOOK)
    (submitted / "garbled" / ASSIGNMENT).mkdir(parents=True)
    (submitted / "garbled" / ASSIGNMENT / NOTEBOOK).write_text('{"cells": [ this is not JSON')

    result = grade(submitted, course=course, grades_csv=tmp_path / "grades.csv", cell_timeout=10, feedback=True)

    scores = {row["student_id"]: float(row["score"]) for row in result.rows}
    expected = {"reference": 4, "blank": 0, "raises": 0, "loops": 0, "deletes_test": 1, "edits_test": 1,
                "unmarks_test": 1, "vandal": 4, "garbled": 0}
    assert scores == expected, f"scores {scores}\n{result.problems}\n{result.log[-3000:]}"
    # A harmless warning in a test cell cost no points (the reference got the 'warns' cell's point).
    assert result.cell_scores[("reference", ASSIGNMENT)]["warns"] == (1, 1)
    # Restored test cells ran and failed the wrong answer (not merely absent).
    for learner in ("deletes_test", "edits_test", "unmarks_test"):
        assert result.cell_scores[(learner, ASSIGNMENT)]["hidden"] == (0, 2), learner
    # The endless loop was interrupted by the timeout, and the cells after it still ran.
    looped = nbformat.read(result.autograded / "loops" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert any(o.output_type == "error" for c in looped.cells for o in c.get("outputs", [])
               if "answer" == c.metadata.get("nbgrader", {}).get("grade_id"))
    # The vandal is named, and the lake is exactly as before.
    assert any(problem.startswith(f"vandal/{ASSIGNMENT}: the submission changed the data lake")
               for problem in result.problems), result.problems
    assert fingerprint(fake_lake) == lake_before
    # The garbled file is reported, not a crash.
    assert any(problem.startswith(f"garbled/{ASSIGNMENT}") for problem in result.problems), result.problems
    # Feedback keeps a failed check's message (the learner's hint) and hides the hidden tests' code.
    feedback = (course / "feedback" / "edits_test" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_text()
    assert "double(21) should be 42" in feedback
    assert "double(-3)" not in feedback and "BEGIN HIDDEN TESTS" not in feedback
    # Grading left the committed student notebook alone.
    assert (course / "notebooks" / ASSIGNMENT / NOTEBOOK).read_bytes() == released


def test_course_config_cuts_endless_cells_within_minutes():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE_ROOT)).load_config()
    assert 60 <= config.Execute.timeout <= 300, "A hanging cell must fail within minutes, not 15 per cell."
    assert config.OverwriteCells.add_missing_cells is True
    assert "mldeploy.course.nbgrader_hooks.WarningsAreNotFailures" in config.Autograde.autograde_preprocessors

