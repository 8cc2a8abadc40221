"""In a notebook, importing mldeploy keeps harmless notices off stderr (red in JupyterLab, a failed cell for nbgrader)."""

from __future__ import annotations

import warnings

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from mldeploy.notebook_output import in_jupyter_kernel


def test_warnings_and_mlflow_notices_print_on_stdout_in_a_kernel(tmp_path):
    notebook = new_notebook(cells=[
        new_code_cell("import mlflow\nfrom mldeploy import lesson_dir"),
        new_code_cell("import warnings\nwarnings.warn('column dtypes changed', FutureWarning)"),
        new_code_cell("import logging\nlogging.getLogger('mlflow.tracking').info('Creating a new experiment.')"),
    ])
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    streams = [(output.name, output.text) for cell in notebook.cells[1:] for output in cell.outputs]
    assert [name for name, _ in streams] == ["stdout", "stdout"], streams
    assert streams[0][1].startswith("FutureWarning: column dtypes changed")
    assert "Creating a new experiment." in streams[1][1]


def test_scripts_keep_pythons_warnings():
    assert not in_jupyter_kernel()
    assert warnings.showwarning.__module__ == "warnings"
