"""The autograding round trip, on copies of the course in temporary folders.

- ``notebooks/`` is exactly what ``nbgrader generate_assignment`` makes from ``solutions/`` (no drift);
- every solution notebook runs top to bottom under nbval in a fresh working folder, and nbgrader,
  grading the outputs of that very run, gives every test cell full marks;
- the untouched student notebook, executed by nbgrader's own autograde in the grading sandbox, is graded
  and fails every test cell: zero, proven cell by cell (not a missing grade that the CSV export writes as
  0), and nothing the lesson does was refused by the sandbox.

Each lesson is executed twice (nbval, and the blank submission): the reference grade reads the nbval
run's outputs with ``nbgrader autograde --no-execute``. A second process (tests/background.py; the
``background`` fixture is in conftest.py) grades the blank submissions on one core from the session's first
test on, then runs the shortest lessons under nbval, while the other tests and then the longest lessons' nbval
run in the foreground; this module runs last (``MLDEPLOY_TEST_OVERLAP=0`` runs it all in the foreground). Each
run's seconds go to the table printed at the end of ``make test``. Measured for lessons 00-01: one after the
other 304 s, overlapped on one core 263 s; overlapped with two threads each, 515 s (2-core
oversubscription hurts more than overlap helps).
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

from background import LESSON_TIMEOUT_SECONDS, LESSONS, LESSONS_LONGEST_FIRST, student_notebook
from mldeploy.course.grading import grade, release_drift
from mldeploy.course.notebooks import graded_items, learner_view, lesson_name, without_solution_markers
from mldeploy.course.progress import objective_results

#: Errors by which the grading sandbox (read-only folders, no network, another user) would refuse a lesson.
SANDBOX_REFUSALS = ("Permission denied", "Read-only file system", "Network is unreachable", "Operation not permitted",
                    "Spark did not start")


def test_every_lesson_has_a_student_version():
    assert LESSONS, "No solution notebooks found under solutions/."
    missing = [str(student_notebook(lesson)) for lesson in LESSONS if not student_notebook(lesson).exists()]
    assert not missing, f"Run `make release` to generate the student notebooks: missing {missing}."


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_student_version_has_no_drift(lesson: Path, released_course: Path):
    """notebooks/ equals a fresh generate_assignment of solutions/ (no answers or hidden tests leak)."""
    assert not release_drift(released_course, lesson_name(lesson), released_course / "release"), (
        f"notebooks/{lesson_name(lesson)} is not what `make release` makes from solutions/: run `make release`."
    )
    released = "\n".join(source for _, source, _ in learner_view(student_notebook(lesson)))
    assert "BEGIN SOLUTION" not in released and "BEGIN HIDDEN TESTS" not in released


# ---- each solution under nbval, its outputs kept for grading --------------------------------------------


@pytest.fixture(scope="session")
def executed(background) -> Path:
    """Where nbval leaves each solution notebook with the outputs of its run (either lane's)."""
    return background.executed


@pytest.mark.parametrize("lesson", LESSONS_LONGEST_FIRST, ids=lesson_name)  # see tests/background.py
def test_solution_runs_under_nbval(lesson: Path, tmp_path: Path, background, lesson_timings):
    """Each solution notebook executes top to bottom, in a fresh folder, with no cell raising."""
    run = background.nbval(lesson, tmp_path / lesson_name(lesson))
    lesson_timings.setdefault(lesson_name(lesson), {})["nbval"] = run.seconds
    assert run.returncode == 0, f"nbval failed for {lesson.name}:\n{run.output}"


def reference_submission(lesson: Path, executed: Path, folder: Path) -> Path:
    """The nbval-executed solution as a learner would hand it in: answers without nbgrader's markers."""
    notebook = nbformat.read(executed / lesson_name(lesson) / lesson.name, as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = without_solution_markers(cell.source)
    target = folder / "reference" / lesson_name(lesson) / lesson.name
    target.parent.mkdir(parents=True)
    nbformat.write(notebook, target)
    return target


@pytest.fixture(scope="session")
def reference_course(course_for) -> Path:
    return course_for("reference")


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_reference_answers_get_full_marks(lesson: Path, executed: Path, reference_course: Path, tmp_path: Path,
                                          lesson_timings):
    """nbgrader grades the outputs of the nbval run: every test cell gets its points."""
    if not (executed / lesson_name(lesson) / lesson.name).exists():
        pytest.fail(f"nbval left no executed copy of {lesson.name}: see test_solution_runs_under_nbval.")
    submitted = reference_submission(lesson, executed, tmp_path)
    started = time.perf_counter()
    result = grade(tmp_path, course=reference_course, grades_csv=tmp_path / "grades.csv", generate=False,
                   execute=False)
    lesson_timings.setdefault(lesson_name(lesson), {})["reference"] = time.perf_counter() - started
    assert not result.errors and not result.problems, "\n".join(result.errors + result.problems)

    # What nbgrader graded is what nbval ran: it restored no test cell that differs from the solution's.
    autograded = reference_course / "autograded" / "reference" / lesson_name(lesson) / lesson.name
    ran = {meta["grade_id"]: source for _, source, meta in learner_view(submitted) if meta.get("grade")}
    graded = {meta["grade_id"]: source for _, source, meta in learner_view(autograded) if meta.get("grade")}
    assert graded == ran, f"nbgrader graded other test code than nbval ran for {lesson.name}: run `make release`."

    points = graded_items(lesson)
    scores = result.cell_scores[("reference", lesson_name(lesson))]
    short = {cell: score for cell, (score, maximum) in scores.items() if score != maximum}
    assert set(scores) == set(points) and not short, (
        f"The reference answers of {lesson_name(lesson)} lost points in {short} (of {points}); "
        f"see {autograded}."
    )
    row = next(row for row in result.rows if row["assignment"] == lesson_name(lesson))
    assert float(row["score"]) == float(row["max_score"]) == sum(points.values()) > 0
    # What `make progress` would tell a learner with these answers: every objective the lesson grades, mastered.
    taught = [result for result in objective_results({lesson_name(lesson): scores}) if result.graded]
    assert taught and all(result.mastered for result in taught), [result.oid for result in taught if not result.mastered]


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_untouched_notebook_is_graded_and_fails_every_test(lesson: Path, background, lesson_timings):
    result, seconds = background.blanks[lesson_name(lesson)].result(timeout=LESSON_TIMEOUT_SECONDS)
    lesson_timings.setdefault(lesson_name(lesson), {})["blank"] = seconds
    assert not result.errors and not result.problems, "\n".join(result.errors + result.problems)
    scores = result.cell_scores.get(("blank", lesson_name(lesson)))
    assert scores is not None, f"The blank {lesson_name(lesson)} was never graded."
    assert set(scores) == set(graded_items(lesson)), f"Graded cells: {sorted(scores)}"
    assert all(score == 0 for score, _ in scores.values()), f"The untouched notebook scored: {scores}"
    # `make progress` on the untouched notebook: every objective the lesson grades is to revisit.
    taught = [result for result in objective_results({lesson_name(lesson): scores}) if result.graded]
    assert taught and all(result.status == "revisit" for result in taught)
    # Zero because each test ran and failed (an error, or partial credit of 0), not a missing grade.
    autograded = result.autograded / "blank" / lesson_name(lesson) / lesson.name
    verdicts = {
        cell.metadata["nbgrader"]["grade_id"]
        for cell in nbformat.read(autograded, as_version=4).cells
        if cell.metadata.get("nbgrader", {}).get("grade")
        and any(output.output_type in ("error", "execute_result") for output in cell.outputs)
    }
    assert verdicts == set(graded_items(lesson)), f"Test cells with no verdict: {set(graded_items(lesson)) - verdicts}"
    # The blank ran in the grading sandbox: nothing the lesson itself does may be refused there.
    blocked = [f"{output.ename}: {output.evalue}" for cell in nbformat.read(autograded, as_version=4).cells
               for output in cell.get("outputs", []) if output.output_type == "error"
               and any(refusal in output.evalue for refusal in SANDBOX_REFUSALS)]
    assert not blocked, f"The grading sandbox refused what {lesson_name(lesson)} needs: {blocked[:3]}"
