"""Warnings and library notices in a notebook print as ordinary output, not as red stderr.

JupyterLab shows anything on stderr in red, like an error, and nbgrader scores a test cell zero when
it wrote to stderr even though every check passed. Yet most of what lands there is harmless: MLflow's
INFO lines ("Creating initial MLflow database tables..."), a pandas ``FutureWarning`` raised by a
learner's code inside a test. In a Jupyter kernel, importing ``mldeploy`` sends Python warnings and
MLflow's log lines to stdout, still printed in full, with the warning's category in front; outside a
kernel (scripts, pytest) nothing changes.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path


def in_jupyter_kernel() -> bool:
    """True inside a Jupyter kernel (JupyterLab, nbgrader, nbval), False in scripts and plain Python."""
    shell = sys.modules.get("IPython")
    ipython = shell.get_ipython() if shell is not None and hasattr(shell, "get_ipython") else None
    return ipython is not None and hasattr(ipython, "kernel")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stdout.write(f"{category.__name__}: {message} ({Path(filename).name}:{lineno})\n")


def route_notices_to_stdout() -> None:
    """Print Python warnings and MLflow's log lines on stdout (call it once, in a notebook)."""
    import mlflow  # noqa: F401  (configures its logger on import; a later import would undo this)

    warnings.showwarning = _show_warning
    for handler in logging.getLogger("mlflow").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stdout)
