"""The objectives map is complete and true, the README shows it, and every lesson has the course's shape."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from mldeploy.course.notebooks import TIME_TOOK, graded_items, lesson_name, section_titles, solution_notebooks
from mldeploy.course.objectives import (
    COVERAGE_END,
    COVERAGE_START,
    README,
    coverage_markdown,
    lessons_of,
    load_map,
    problems,
    syllabus_file,
    syllabus_ids,
    with_coverage,
)
from mldeploy.paths import COURSE_ROOT

LESSONS = solution_notebooks(COURSE_ROOT)
OBJECTIVES = load_map()


@pytest.fixture(scope="module")
def syllabus() -> dict[str, str]:
    path = syllabus_file()
    if not path.exists():
        pytest.skip(f"No syllabus at {path}: set MLDEPLOY_SYLLABUS to check the map against it.")
    return syllabus_ids(path.read_text())


def test_syllabus_lists_ids(syllabus):
    assert len(syllabus) >= 40 and {"M1", "B1", "S1", "R1", "D1"} <= syllabus.keys()


def test_every_syllabus_id_is_mapped_and_every_done_entry_is_real(syllabus):
    found = problems(OBJECTIVES, set(syllabus))
    assert not found, "objectives.yml needs fixing:\n" + "\n".join(found)


def test_the_map_is_complete():
    """Every objective is done: taught in a lesson section and checked by a graded item (problems() checks both)."""
    unfinished = sorted(oid for oid, entry in OBJECTIVES.items() if entry["status"] != "done")
    assert not unfinished, f"Not yet taught and graded: {unfinished}"


def test_every_done_entry_is_real_without_the_syllabus():
    """Runs in every clone, with or without ../shared/: each done entry names real sections and graded cells."""
    found = problems(OBJECTIVES, set(OBJECTIVES))
    assert not found, "objectives.yml needs fixing:\n" + "\n".join(found)


def test_titles_are_the_syllabus_titles(syllabus):
    """Titles are kept in the map (a clone has no ../shared): they must say what the syllabus says."""
    wrong = {oid: entry.get("title") for oid, entry in OBJECTIVES.items() if entry.get("title") != syllabus.get(oid)}
    assert not wrong, f"Titles differ from the syllabus: {wrong}"


def test_every_objective_has_a_title():
    assert all(isinstance(entry.get("title"), str) and entry["title"] for entry in OBJECTIVES.values())


def test_readme_shows_current_coverage(syllabus):
    readme = README.read_text()
    table = coverage_markdown(OBJECTIVES, syllabus)
    assert with_coverage(readme, table) == readme, (
        "The README's coverage table is out of date: run `python -m mldeploy objectives --update-readme`."
    )


def test_readme_coverage_lists_every_mapped_id():
    """Without the syllabus at hand, the README's table still has to agree with the map."""
    block = README.read_text().split(COVERAGE_START)[1].split(COVERAGE_END)[0]
    rows = dict(re.findall(r"^\| ([A-Z]\d+) \|.*\| (done|planned) \|", block, re.MULTILINE))
    assert rows == {oid: entry["status"] for oid, entry in OBJECTIVES.items()}


def test_map_checker_catches_mistakes(tmp_path: Path):
    """problems() is the test above; make sure it can fail."""
    broken = {
        "M1": {"status": "done", "lesson": "01_model_management", "sections": ["No such section"], "graded": ["nope"]},
        "M2": {"status": "done", "lesson": "99_missing", "sections": ["1."], "graded": ["x"]},
        "M3": {"status": "done", "lesson": "01_model_management", "sections": ["4. Models"], "graded": []},
        "M4": {"status": "maybe"},
        "M6": {"status": "done", "lesson": "01_model_management", "sections": ["4. Models"], "graded": ["check_questions"],
               "also": [{"lesson": "00_deployment_modes", "sections": ["No such part"], "graded": ["check_questions"]}]},
    }
    found = "\n".join(problems(broken, {"M1", "M2", "M3", "M4", "M5", "M6"}))
    for expected in ["M5: in the syllabus", "no section starting 'No such section'", "'nope' is not a graded cell",
                     "M2: lesson '99_missing' has no notebook", "M3: done, but no graded item", "M4: status",
                     "M6: no section starting 'No such part' in 00_deployment_modes.ipynb"]:
        assert expected in found, f"{expected!r} not reported in:\n{found}"


# ---- every lesson has the course's shape ---------------------------------------------------------------


def cells(lesson: Path) -> list:
    return nbformat.read(lesson, as_version=4).cells


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_lesson_opens_with_objectives_and_measured_time(lesson: Path):
    intro = cells(lesson)[0].source
    listed = set(re.findall(r"^- \*\*([A-Z]\d+)\*\*", intro, re.MULTILINE))
    mapped = {oid for oid, entry in OBJECTIVES.items()
              if entry["status"] == "done" and lesson_name(lesson) in lessons_of(entry)}
    assert listed == mapped, f"The objectives at the top ({sorted(listed)}) differ from objectives.yml ({sorted(mapped)})."
    assert re.search(r"\*\*Time:\*\* .*\d+ s", intro), "State the measured run time at the top (**Time:** ... N s)."
    points = sum(graded_items(lesson).values())
    assert f"({points:g} points)" in intro, f"The intro should state the lesson's {points:g} points."


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_lesson_has_one_setup_cell_recap_and_check_questions(lesson: Path):
    code = [cell.source for cell in cells(lesson) if cell.cell_type == "code"]
    assert "from mldeploy import" in code[0], "The first code cell is the setup cell: `from mldeploy import ...`."
    assert not any("from mldeploy import" in source for source in code[1:]), "Import mldeploy in the setup cell only."
    titles = section_titles(lesson)
    for needed in ("Recap", "Check questions", "Clean up"):
        assert any(title.startswith(needed) for title in titles), f"Missing a '{needed}' section."
    # The last cell stops what the lesson started: its Spark session (a serving lesson may need none) and
    # every server it started (checked by running the lesson: see tests/test_notebooks.py).
    if "get_spark(" in code[0]:
        assert "spark.stop()" in code[-1], "The last cell stops the lesson's Spark session."
    if "ServingEndpoint.start(" in "\n".join(code):
        assert ".stop()" in code[-1], "The last cell stops every server the lesson started."


def cell_kinds(notebook_cells: list) -> list[str]:
    """Each cell as 'answer', 'visible' (a test learners see), 'hidden' (a test with hidden parts) or 'other'."""
    kinds = []
    for cell in notebook_cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            kinds.append("answer")
        elif meta.get("grade"):
            kinds.append("hidden" if "### BEGIN HIDDEN TESTS" in cell.source else "visible")
        else:
            kinds.append("other")
    return kinds


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_every_answer_is_checked_by_visible_and_hidden_tests(lesson: Path):
    """After each answer (or run of answers) come a visible test and a hidden test, before the next answer."""
    kinds = cell_kinds(cells(lesson))
    for position, kind in enumerate(kinds):
        if kind == "answer" and (position + 1 == len(kinds) or kinds[position + 1] != "answer"):
            following = []
            for later in kinds[position + 1:]:
                if later == "answer":
                    break
                following.append(later)
            assert "visible" in following, f"Answer cell {position} of {lesson.name} has no visible test after it."
            assert "hidden" in following, f"Answer cell {position} of {lesson.name} has no hidden test after it."


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_every_graded_cell_carries_points(lesson: Path):
    for cell in cells(lesson):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            assert float(meta.get("points", 0)) > 0, f"Graded cell {meta.get('grade_id')!r} has no points."
            assert meta.get("locked"), f"Test cell {meta.get('grade_id')!r} must be locked (read-only)."


@pytest.mark.parametrize("lesson", LESSONS, ids=lesson_name)
def test_readme_lesson_table_lists_lesson(lesson: Path):
    row = re.search(rf"^\| {re.escape(lesson_name(lesson))} \|.*$", README.read_text(), re.MULTILINE)
    assert row, f"Add {lesson_name(lesson)} to the README's lesson table."
    assert re.search(r"\d+ s", row.group(0)), "Give the lesson's measured run time in the README's lesson table."
    # The lesson's Time line and its README row give the same run time and study time.
    intro = cells(lesson)[0].source
    took = TIME_TOOK.search(intro)
    assert took, "Say at the top how long running every cell took (**Time:** ... took N s ...)."
    assert f"| {took.group(1)} s" in row.group(0), f"The README's row should give the {took.group(1)} s of the Time line."
    study = re.search(r"allow (\d+) minutes", intro)
    if study:
        assert f"| {study.group(1)} min |" in row.group(0), f"The README's row should give {study.group(1)} min of study."
