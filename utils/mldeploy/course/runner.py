"""Run lesson notebooks headless, each in a fresh working folder, and report a table.

``make run`` uses this to execute every solution notebook and keep the executed copies under
``build/run/<lesson>/``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

from ..paths import COURSE_ROOT
from .notebooks import copy_without_leftovers, lesson_name, solution_notebooks

#: No lesson cell needs 5 minutes (nbgrader_config.py uses the same limit): a hang fails in minutes.
CELL_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class LessonRun:
    lesson: str
    status: str
    seconds: float
    executed: Path
    error: str = ""


def run_notebook(notebook: Path, workdir: Path, timeout: int = CELL_TIMEOUT_SECONDS) -> LessonRun:
    """Execute ``notebook`` with ``workdir`` (emptied first) as its folder; keep the executed copy there."""
    shutil.rmtree(workdir, ignore_errors=True)
    copy_without_leftovers(notebook.parent, workdir)
    executed = workdir / notebook.name
    nb = nbformat.read(executed, as_version=4)
    started = time.perf_counter()
    status, error = "ok", ""
    # The kernel's channels as Unix sockets in a private folder (IPC), not TCP on loopback: the same
    # isolation, and no "Kernel is running over TCP without encryption" warning for every lesson.
    with tempfile.TemporaryDirectory(prefix="mldeploy-kernel-") as sockets:
        config = Config()
        config.KernelManager.transport = "ipc"
        config.KernelManager.ip = str(Path(sockets) / "k")
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", config=config,
                                resources={"metadata": {"path": str(workdir)}})
        try:
            client.execute()
        except CellExecutionError as failure:
            status, error = "failed", _first_error_line(str(failure))
        except Exception as failure:  # a dead kernel or a timeout: still report, still save
            status, error = "failed", f"{type(failure).__name__}: {failure}"[:300]
    seconds = time.perf_counter() - started
    nbformat.write(nb, executed)
    return LessonRun(lesson_name(notebook), status, seconds, executed, error)


def _first_error_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    errors = [line for line in lines if "Error" in line or "Exception" in line]
    return (errors[-1] if errors else lines[-1])[:300]


def format_table(runs: list[LessonRun]) -> str:
    """Lesson, status and seconds as a plain-text table."""
    width = max([len("lesson"), *(len(run.lesson) for run in runs)])
    lines = [f"{'lesson':<{width}}  status  seconds", f"{'-' * width}  ------  -------"]
    for run in runs:
        lines.append(f"{run.lesson:<{width}}  {run.status:<6}  {run.seconds:7.1f}")
        if run.error:
            lines.append(f"{'':<{width}}  {run.error}")
    return "\n".join(lines)


def run_lessons(out: Path = COURSE_ROOT / "build" / "run", lessons: list[Path] | None = None) -> list[LessonRun]:
    """Run every solution notebook (or ``lessons``) in ``out/<lesson>/``, printing progress."""
    runs = []
    for notebook in lessons or solution_notebooks():
        print(f"running {lesson_name(notebook)} ...", flush=True)
        run = run_notebook(notebook, out / lesson_name(notebook))
        print(f"  {run.status} in {run.seconds:.1f} s -> {run.executed}", flush=True)
        runs.append(run)
    print()
    print(format_table(runs))
    return runs
