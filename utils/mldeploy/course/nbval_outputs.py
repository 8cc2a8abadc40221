"""A pytest plugin that keeps what nbval executed: ``-p mldeploy.course.nbval_outputs --save-executed=OUT``.

nbval runs each code cell of a notebook as a test but throws the outputs away. With this plugin the
notebook is written to ``OUT`` with every cell's outputs as nbval received them from the kernel, so one
execution both proves the solution runs (nbval) and can be graded by nbgrader without running again
(``nbgrader autograde --no-execute``): that halves what the test suite spends per lesson.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest


def pytest_addoption(parser) -> None:
    parser.addoption("--save-executed", default=None,
                     help="write the notebook nbval ran, with the outputs it saw, to this path")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    yield
    outputs = getattr(item, "test_outputs", None)
    if call.when == "call" and outputs is not None:
        item.cell.outputs = [_as_output(output) for output in outputs]
        counts = [output.get("execution_count") for output in item.cell.outputs if "execution_count" in output]
        item.cell.execution_count = counts[0] if counts else None
        item.config._nbval_executed = item.parent.nb


def _as_output(output: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """nbval's output record as a valid nbformat output."""
    if output.output_type == "execute_result":
        output.setdefault("execution_count", None)
        output.setdefault("metadata", {})
    if output.output_type == "display_data":
        output.setdefault("metadata", {})
    return output


def pytest_sessionfinish(session) -> None:
    target = session.config.getoption("--save-executed")
    executed = getattr(session.config, "_nbval_executed", None)
    if target and executed is not None:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(executed, target)
