"""``make grade``'s own code against hostile and broken submissions, on a tiny assignment (no Spark).

Each submission is graded in the sandbox, the grader never crashes, and no submission earns more than its
real answers: an edited or deleted test cell is restored from the source and still fails the wrong answer,
an endless loop is cut by the cell timeout; a submission cannot read the answer key, write the gradebook,
``grades.csv`` or another student's notebook, kill the grader, reach the network, exhaust the machine's
processes or memory, or fool the hidden tests by patching NumPy's and pandas' assertion helpers or the
kernel itself. Without the sandbox (``sandbox=False``), a submission that rewrites the data lake leaves it
as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from traitlets.config.loader import PyFileConfigLoader

from mldeploy.course import grading
from mldeploy.course.grading import SandboxUnavailableError, grade, nbgrader
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


HOSTILE = {
    # The answer key: the grader's own solutions/, found by any path, then run.
    "reads_key": """import glob, json, os
found = []
for pattern in ("{course}/solutions/**/*.ipynb", "/**/solutions/**/*.ipynb", "/proc/*/root/**/solutions/**/*.ipynb",
                "/proc/*/cwd/**/*.ipynb", os.path.expanduser("~") + "/**/*.ipynb"):
    found += glob.glob(pattern, recursive=True)
for path in found:
    for cell in json.load(open(path))["cells"]:
        if "BEGIN SOLUTION" in "".join(cell["source"]):
            exec("".join(cell["source"]).replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""))""",
    # The gradebook, the grades and another student's notebooks, rewritten; its own answer is right.
    "writes_grades": RIGHT + """
import glob, sqlite3
for attempt in (lambda: sqlite3.connect("{course}/gradebook.db").execute("UPDATE grade SET manual_score = 0"),
                lambda: open("{course}/grades.csv", "w").write("student_id,score\\n"),
                lambda: [open(path, "w").write("{{}}") for path in glob.glob("{course}/autograded/*/*/*.ipynb")
                         + glob.glob("{submitted}/*/*/*.ipynb")]):
    try:
        attempt()
    except Exception:
        pass""",
    # Its own kernel, the grader's process group, every process it may signal.
    "kills": """import os, signal
for attempt in (lambda: os.killpg(os.getpgid(0), signal.SIGKILL), lambda: os.kill(os.getppid(), signal.SIGKILL),
                lambda: os.kill(-1, signal.SIGKILL)):
    try:
        attempt()
    except Exception:
        pass""",
    # Processes until the limit (a shell fork bomb in the background), then its real, right answer.
    "forks": """import subprocess, time
bomb = subprocess.Popen(["bash", "-c", ":(){{ :|:& }};:"], stderr=subprocess.DEVNULL)
time.sleep(3)
""" + RIGHT,
    # Memory until the limit, then its real, right answer.
    "allocates": """import numpy
blocks = []
try:
    blocks.append(numpy.zeros(20 * 1024**3, dtype=numpy.uint8))
except MemoryError:
    pass
try:
    while True:
        blocks.append(numpy.zeros(1024**3, dtype=numpy.uint8))
except MemoryError:
    blocks.clear()
""" + RIGHT,
    # The network beyond loopback: a UDP connect sends nothing, but needs a route (none in the sandbox).
    "network": """import socket
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    sock.connect(("192.0.2.1", 9))  # TEST-NET-1: documentation only
    reached = True
except OSError:
    reached = False
interfaces = [name for _, name in socket.if_nameindex()]
def double(x):
    return 2 * x if not reached and interfaces == ["lo"] else x + 2""",
    # The assertion helpers the hidden tests call, made to accept anything.
    "patches_helpers": WRONG + """
import numpy as np, pandas as pd, math, builtins
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
pd.testing.assert_series_equal = lambda *args, **kwargs: None
pd.Series.equals = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True""",
    # The kernel itself: every later cell (tests and the grader's own) emptied before it runs.
    "tampers": WRONG + """
get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])""",
    # Errors swallowed by a custom exception handler (nbgrader still sees the failed reply).
    "swallows": WRONG + """
get_ipython().set_custom_exc((BaseException,), lambda *args, **kwargs: None)""",
}


def source_notebook() -> nbformat.NotebookNode:
    answer = {"grade": False, "grade_id": "answer", "locked": False, "schema_version": 3, "solution": True,
              "task": False}
    return new_notebook(cells=[
        new_markdown_cell("# Grading check\nWrite `double(x)`."),
        new_code_cell("import warnings\nimport numpy as np\nimport pandas as pd\nfrom mldeploy import table_path"),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
                      metadata={"nbgrader": answer}),
        grade_cell("visible", "assert double(2) == 4, 'double(2) should be 4'", 1),
        grade_cell("hidden", "### BEGIN HIDDEN TESTS\nassert double(21) == 42, 'double(21) should be 42'\n"
                             "assert double(-3) == -6\n### END HIDDEN TESTS", 2),
        grade_cell("warns", "warnings.warn('a harmless warning from the learner\\'s code')\n"
                            "assert double(0) == 0", 1),
        grade_cell("helpers", "### BEGIN HIDDEN TESTS\nassert np.allclose(double(np.arange(3.0)), [0.0, 2.0, 4.0])\n"
                              "pd.testing.assert_series_equal(double(pd.Series([1.5])), pd.Series([3.0]))\n"
                              "### END HIDDEN TESTS", 2),
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


VANDAL = ("import shutil\nfrom pathlib import Path\n"
          "try:\n    shutil.rmtree(table_path('airlines'))\nexcept OSError:\n    pass\n"
          "try:\n    Path(table_path('flights'), 'part-99999.parquet').write_text('not parquet')\nexcept OSError:\n"
          "    pass\n" + RIGHT)


def write_submissions(folder: Path, learners: dict[str, nbformat.NotebookNode]) -> Path:
    for learner, notebook in learners.items():
        (folder / learner / ASSIGNMENT).mkdir(parents=True)
        nbformat.write(notebook, folder / learner / ASSIGNMENT / NOTEBOOK)
    return folder


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

    submitted = tmp_path / "submitted"
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
        "vandal": submission(course, VANDAL),
        **{name: submission(course, code.format(course=course, submitted=submitted)) for name, code in HOSTILE.items()},
    }
    write_submissions(submitted, learners)
    (submitted / "garbled" / ASSIGNMENT).mkdir(parents=True)
    (submitted / "garbled" / ASSIGNMENT / NOTEBOOK).write_text('{"cells": [ this is not JSON')

    result = grade(submitted, course=course, grades_csv=tmp_path / "grades.csv", cell_timeout=10, feedback=True)

    scores = {row["student_id"]: float(row["score"]) for row in result.rows}
    # What each earns with its real answers: right 6, wrong 1 (the visible test), none 0.
    expected = {"reference": 6, "blank": 0, "raises": 0, "loops": 0, "deletes_test": 1, "edits_test": 1,
                "unmarks_test": 1, "vandal": 6, "garbled": 0, "reads_key": 0, "writes_grades": 6, "kills": 0,
                "forks": 6, "allocates": 6, "network": 6, "patches_helpers": 1, "tampers": 0, "swallows": 1}
    assert scores == expected, f"scores {scores}\n{result.problems}\n{result.log[-3000:]}"
    # A harmless warning in a test cell cost no points (the reference got the 'warns' cell's point).
    assert result.cell_scores[("reference", ASSIGNMENT)]["warns"] == (1, 1)
    # Restored test cells ran and failed the wrong answer (not merely absent).
    for learner in ("deletes_test", "edits_test", "unmarks_test"):
        assert result.cell_scores[(learner, ASSIGNMENT)]["hidden"] == (0, 2), learner
    # Patched helpers were put back before the hidden test that calls them.
    assert result.cell_scores[("patches_helpers", ASSIGNMENT)]["helpers"] == (0, 2)
    # The endless loop was interrupted by the timeout, and the cells after it still ran.
    looped = nbformat.read(result.autograded / "loops" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert any(o.output_type == "error" for c in looped.cells for o in c.get("outputs", [])
               if "answer" == c.metadata.get("nbgrader", {}).get("grade_id"))
    # The sandboxed lake was read-only: nothing changed, nothing to restore.
    assert fingerprint(fake_lake) == lake_before
    assert not any("changed the data lake" in problem for problem in result.problems), result.problems
    # Looking for the answer key tripped the wire; no right answer did.
    assert any(problem.startswith(f"reads_key/{ASSIGNMENT}: tried to reach hidden files (")
               and "solutions" in problem for problem in result.problems), result.problems
    assert any(problem.startswith(f"writes_grades/{ASSIGNMENT}: tried to reach hidden files")
               for problem in result.problems), result.problems
    assert not any(problem.startswith(("reference/", "blank/", "forks/")) for problem in result.problems), result.problems
    # The tampering kernel is named; the garbled file is reported, not a crash.
    assert any(problem.startswith(f"tampers/{ASSIGNMENT}: the kernel stopped reporting failures honestly")
               for problem in result.problems), result.problems
    assert any(problem.startswith(f"garbled/{ASSIGNMENT}") for problem in result.problems), result.problems
    # Feedback keeps a failed check's message (the learner's hint) and hides the hidden tests' code.
    feedback = (course / "feedback" / "edits_test" / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")).read_text()
    assert "double(21) should be 42" in feedback
    assert "double(-3)" not in feedback and "BEGIN HIDDEN TESTS" not in feedback
    # Grading left the committed student notebook and every submission alone.
    assert (course / "notebooks" / ASSIGNMENT / NOTEBOOK).read_bytes() == released
    for learner, notebook in learners.items():
        assert nbformat.read(submitted / learner / ASSIGNMENT / NOTEBOOK, as_version=4) == notebook, learner


def test_unsandboxed_grading_restores_the_lake(course: Path, fake_lake: Path, tmp_path: Path, monkeypatch):
    """``sandbox=False`` (a learner's own ``make progress``, or ``--unsafe``): the lake guard still undoes a vandal."""
    monkeypatch.setenv("MLDEPLOY_LAKE", str(fake_lake))
    lake_before = fingerprint(fake_lake)
    vandal = ("import shutil\nfrom pathlib import Path\nshutil.rmtree(table_path('airlines'))\n"
              "Path(table_path('flights'), 'part-99999.parquet').write_text('not parquet')\n" + RIGHT)
    submitted = write_submissions(tmp_path / "submitted", {"vandal": submission(course, vandal)})
    result = grade(submitted, course=course, grades_csv=tmp_path / "grades.csv", cell_timeout=10, sandbox=False)
    assert {row["student_id"]: float(row["score"]) for row in result.rows}["vandal"] == 6
    assert any(problem.startswith(f"vandal/{ASSIGNMENT}: the submission changed the data lake")
               for problem in result.problems), result.problems
    assert fingerprint(fake_lake) == lake_before


def test_grading_refuses_without_a_sandbox(course: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(grading, "sandbox_problem", lambda: "the grading sandbox needs Linux namespaces, and this is Darwin")
    submitted = write_submissions(tmp_path / "submitted", {"blank": submission(course, "")})
    with pytest.raises(SandboxUnavailableError, match="Linux namespaces"):
        grade(submitted, course=course, grades_csv=tmp_path / "grades.csv")
    assert not (tmp_path / "grades.csv").exists()


def test_make_grade_says_why_it_refuses(tmp_path: Path, monkeypatch, capsys):
    from mldeploy.__main__ import main

    monkeypatch.setattr(grading, "sandbox_problem", lambda: "the grading sandbox needs Linux namespaces, and this is Darwin")
    (tmp_path / "alice" / ASSIGNMENT).mkdir(parents=True)
    (tmp_path / "alice" / ASSIGNMENT / NOTEBOOK).write_text("{}")
    assert main(["grade", str(tmp_path)]) == 2
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "Linux namespaces" in said[0] and said[0].startswith("Not grading:")


def test_course_config_cuts_endless_cells_within_minutes():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE_ROOT)).load_config()
    assert 60 <= config.Execute.timeout <= 300, "A hanging cell must fail within minutes, not 15 per cell."
    assert config.OverwriteCells.add_missing_cells is True
    assert "mldeploy.course.nbgrader_hooks.WarningsAreNotFailures" in config.Autograde.autograde_preprocessors

