"""``make run``'s lesson runner: a notebook executes in its own folder, over IPC, with nothing alarming printed."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config.loader import PyFileConfigLoader

from mldeploy.course.runner import run_lessons, run_notebook
from mldeploy.paths import COURSE_ROOT


def test_a_lesson_runs_over_ipc_without_the_tcp_warning(tmp_path: Path, capfd):
    source = tmp_path / "lesson" / "lesson.ipynb"
    source.parent.mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell("import os\nprint(os.getcwd())")],
                                metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}), source)
    run = run_notebook(source, tmp_path / "run")
    assert run.status == "ok", run.error
    printed = nbformat.read(run.executed, as_version=4).cells[0].outputs[0].text.strip()
    assert Path(printed).resolve() == (tmp_path / "run").resolve()
    # The kernel's stderr reaches the learner's terminal: no "Kernel is running over TCP without encryption".
    assert "without encryption" not in capfd.readouterr().err


def test_any_jupyter_started_in_the_course_finds_the_exchange(tmp_path: Path):
    """The formgrader warns when the exchange folder is missing: loading the course's config makes it."""
    shutil.copy(COURSE_ROOT / "nbgrader_config.py", tmp_path)
    config = PyFileConfigLoader("nbgrader_config.py", path=str(tmp_path)).load_config()
    assert Path(config.Exchange.root) == tmp_path / "exchange" and (tmp_path / "exchange").is_dir()


def test_the_table_splits_off_the_hidden_tests_and_every_cell_is_timed(tmp_path: Path, capsys):
    """A learner's run has no hidden tests: make run says how much of each lesson's time they took."""
    source = tmp_path / "lesson" / "lesson.ipynb"
    source.parent.mkdir()
    hidden = "import time\n### BEGIN HIDDEN TESTS\ntime.sleep(1.0)\n### END HIDDEN TESTS"
    nbformat.write(new_notebook(cells=[new_code_cell("import time\ntime.sleep(0.3)"), new_code_cell(hidden)],
                                metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}), source)
    [run] = run_lessons(tmp_path / "out", [source], hidden_tests=True)
    assert run.status == "ok", run.error
    assert [cell.hidden_tests for cell in run.cells] == [False, True]
    assert 1.0 <= run.hidden_test_seconds < run.seconds
    assert 0.3 <= run.cells[0].seconds < 1.0
    row = [line for line in capsys.readouterr().out.splitlines() if line.startswith("lesson ")][-1].split()
    assert row[1] == "ok" and float(row[3]) == round(run.hidden_test_seconds, 1)
    with (tmp_path / "out" / "cell_seconds.csv").open() as table:
        cells = list(csv.DictReader(table))
    assert [(c["cell"], c["hidden_tests"], c["first_line"]) for c in cells] == [
        ("0", "False", "import time"), ("1", "True", "import time")]


def test_make_run_leaves_the_hidden_tests_out_as_a_learner_s_run_does(tmp_path: Path, capsys):
    source = tmp_path / "lesson" / "lesson.ipynb"
    source.parent.mkdir()
    test_cell = "assert 1 + 1 == 2\n### BEGIN HIDDEN TESTS\nraise AssertionError('hidden')\n### END HIDDEN TESTS\nprint('visible')"
    nbformat.write(new_notebook(cells=[new_code_cell(test_cell)],
                                metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}), source)
    [run] = run_lessons(tmp_path / "out", [source])
    assert run.status == "ok", run.error
    executed = nbformat.read(run.executed, as_version=4).cells[0]
    assert "BEGIN HIDDEN TESTS" not in executed.source and executed.outputs[0].text.strip() == "visible"
    assert run.hidden_test_seconds == 0
    assert "hidden tests" not in [line for line in capsys.readouterr().out.splitlines() if line.startswith("lesson")][-1]


def test_two_lessons_run_at_once_each_with_one_openmp_thread(tmp_path: Path, capsys):
    """make run's two lanes: the lessons' cells run at the same time, and the table keeps course order."""
    sources = []
    for name in ("01_first", "02_second"):
        source = tmp_path / name / f"{name}.ipynb"
        source.parent.mkdir()
        cell = "import os, time\ntime.sleep(2)\nprint(os.environ.get('OMP_NUM_THREADS'))"
        nbformat.write(new_notebook(cells=[new_code_cell(cell)],
                                    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}), source)
        sources.append(source)
    runs = run_lessons(tmp_path / "out", sources, jobs=2)
    assert [run.lesson for run in runs] == ["01_first", "02_second"] and all(run.status == "ok" for run in runs)
    executed = [nbformat.read(run.executed, as_version=4).cells[0] for run in runs]
    assert [cell.outputs[0].text.strip() for cell in executed] == ["1", "1"]
    spans = [(cell.metadata.execution["iopub.execute_input"], cell.metadata.execution["shell.execute_reply"])
             for cell in executed]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1], f"the two cells did not overlap: {spans}"
    rows = [line.split()[:2] for line in capsys.readouterr().out.splitlines() if line.startswith(("01_", "02_"))]
    assert rows == [["01_first", "ok"], ["02_second", "ok"]]
