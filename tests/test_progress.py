"""``make progress`` and ``make grade``'s per-objective views: cell scores become scores per syllabus ID.

The arithmetic is checked on a made-up map; the whole path (a learner's notebooks graded by nbgrader, hidden
tests included, then scored per objective) on the tiny assignment of tests/test_grading.py (no Spark).
"""

from __future__ import annotations

import csv
import shutil

import nbformat
import pytest

from mldeploy.course.notebooks import with_reference_answers
from mldeploy.course.progress import (
    class_report,
    class_summary,
    learner_progress,
    objective_results,
    report,
    scores_by_student,
    write_class_summary,
    write_objectives_csv,
)
from test_grading import ASSIGNMENT, NOTEBOOK, WRONG, course, submission  # noqa: F401 (course is a fixture)

MAP = {
    "S1": {"title": "Streaming", "status": "done", "lesson": "04_streaming", "sections": ["1. A stream"],
           "graded": ["stream_state", "check_questions"],
           "also": [{"lesson": "08_kafka", "sections": ["2. From Kafka"], "graded": ["offsets_state"]}]},
    "B1": {"title": "Batch", "status": "done", "lesson": "02_batch", "sections": ["1. Batch"], "graded": ["batch_state"]},
    "D2": {"title": "Production", "status": "planned", "lesson": "09_operating"},
}


def by_id(results):
    return {result.oid: result for result in results}


def test_an_objective_sums_its_cells_across_every_lesson_that_grades_it():
    scores = {"04_streaming": {"stream_state": (4, 4), "check_questions": (3.2, 4), "other": (0, 9)},
              "08_kafka": {"offsets_state": (1, 4)}, "02_batch": {"batch_state": (5, 5)}}
    results = by_id(objective_results(scores, MAP))
    assert (results["S1"].score, results["S1"].max_score) == (8.2, 12)
    assert results["S1"].status == "revisit"  # 68% < 80%
    assert results["S1"].sections == ("04_streaming: 1. A stream", "08_kafka: 2. From Kafka")
    assert results["B1"].mastered and results["B1"].share == 1
    assert results["D2"].status == "not graded", "a lesson not written yet is not a failure"


def test_lessons_not_handed_in_leave_their_objectives_ungraded():
    results = by_id(objective_results({"02_batch": {"batch_state": (0, 5)}}, MAP))
    assert results["B1"].status == "revisit" and results["S1"].status == "not graded"


def test_exactly_the_mastery_line_is_mastered():
    results = by_id(objective_results({"02_batch": {"batch_state": (4, 5)}}, MAP))
    assert results["B1"].mastered


def test_report_names_the_sections_to_revisit():
    scores = {"04_streaming": {"stream_state": (0, 4), "check_questions": (0.8, 4)}, "02_batch": {"batch_state": (5, 5)}}
    text = report(scores, objective_results(scores, MAP))
    assert "revisit 04_streaming: 1. A stream" in text and "revisit 08_kafka: 2. From Kafka" in text
    assert "revisit 02_batch" not in text
    assert "1 of 2 graded objectives mastered" in text and "1 not graded yet" in text


def test_class_view_counts_who_mastered_what(tmp_path):
    per_student = {
        "ana": objective_results({"02_batch": {"batch_state": (5, 5)}, "04_streaming": {"stream_state": (0, 4)}}, MAP),
        "bo": objective_results({"02_batch": {"batch_state": (1, 5)}}, MAP),
        "cy": objective_results({"02_batch": {"batch_state": (0, 5)}}, MAP),
    }
    summary = {row["objective"]: row for row in class_summary(per_student)}
    assert summary["B1"]["graded"] == 3 and summary["B1"]["mastered"] == 1
    assert summary["B1"]["mean_share"] == round((1 + 0.2 + 0) / 3, 3)
    assert summary["S1"]["graded"] == 1 and summary["D2"]["graded"] == 0
    text = class_report(list(summary.values()))
    assert "B1" in text and "S1" in text and "D2" not in text
    write_class_summary(list(summary.values()), tmp_path / "summary.csv")
    write_objectives_csv(per_student, tmp_path / "objectives.csv")
    rows = list(csv.DictReader(open(tmp_path / "objectives.csv")))
    assert len(rows) == 9 and {row["status"] for row in rows} == {"mastered", "revisit", "not graded"}


def test_gradebook_scores_are_grouped_by_student_then_lesson():
    cells = {("ana", "02_batch"): {"batch_state": (5, 5)}, ("ana", "04_streaming"): {"stream_state": (0, 4)},
             ("bo", "02_batch"): {"batch_state": (1, 5)}}
    assert scores_by_student(cells) == {"ana": {"02_batch": {"batch_state": (5, 5)}, "04_streaming": {"stream_state": (0, 4)}},
                                        "bo": {"02_batch": {"batch_state": (1, 5)}}}


# --- the whole path, on the tiny assignment --------------------------------------------------------------


TINY_MAP = {"X1": {"title": "Doubling", "status": "done", "lesson": ASSIGNMENT, "sections": ["Doubling"],
                   "graded": ["visible", "hidden"]},
            "X2": {"title": "Not yet", "status": "planned", "lesson": "98_later"}}


def learner_copy(course, tmp_path, notebook) -> object:
    """A course folder whose notebooks/ holds this learner's notebook (as after working in JupyterLab)."""
    mine = tmp_path / "course"
    shutil.copytree(course, mine, ignore=shutil.ignore_patterns("gradebook.db", "autograded", "feedback"))
    nbformat.write(notebook, mine / "notebooks" / ASSIGNMENT / NOTEBOOK)
    return mine


def test_progress_grades_the_learners_own_notebooks_hidden_tests_included(course, tmp_path):
    mine = learner_copy(course, tmp_path, submission(course, WRONG))
    progress = learner_progress(course=mine, objectives=TINY_MAP)
    results = by_id(progress.results)
    assert (results["X1"].score, results["X1"].max_score) == (1, 3), "visible passed, hidden failed"
    assert results["X1"].status == "revisit" and results["X2"].status == "not graded"
    assert f"revisit {ASSIGNMENT}: Doubling" in progress.report
    assert progress.plot.stat().st_size > 5000 and progress.csv.exists()
    assert not progress.problems, "a learner's edited notebooks are not 'drift'"


def test_progress_of_the_reference_answers_is_all_mastered(course, tmp_path):
    reference = with_reference_answers(nbformat.read(course / "notebooks" / ASSIGNMENT / NOTEBOOK, as_version=4),
                                       course / "solutions" / ASSIGNMENT / NOTEBOOK)
    progress = learner_progress(course=learner_copy(course, tmp_path, reference), objectives=TINY_MAP)
    assert by_id(progress.results)["X1"].mastered
    with pytest.raises(ValueError, match="No lesson named 77_nope"):
        learner_progress(["77_nope"], course=learner_copy(course, tmp_path / "again", reference), objectives=TINY_MAP)
