"""A lesson's MLflow database starts as a copy of an empty one, so its first MLflow call skips the migrations.

MLflow creates a new SQLite tracking database by running every schema migration since its first version:
about 3 s on a 2-core laptop, in every lesson (each has its own ``mlflow.db`` beside the notebook) and in
every re-run after ``mlflow.db`` is deleted. ``lesson_dir()`` calls ``seed_tracking_database()``: when the
tracking URI is a SQLite file that does not exist yet, it copies an empty database migrated once per MLflow
version into ``~/.cache/mldeploy/mlflow/``. The copy holds no experiment at all, not even *Default*, whose
artifact location is a path: MLflow creates *Default* on first use, with this lesson's folder, as it does
for a new file. A tracking server, another database or an existing file is left alone.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from importlib.metadata import version
from pathlib import Path

from .paths import cache_dir

SQLITE = "sqlite:///"


def sqlite_file(tracking_uri: str) -> Path | None:
    """The file of a ``sqlite:///`` tracking URI (relative to the current folder, as MLflow reads it)."""
    if not tracking_uri.startswith(SQLITE):
        return None
    return Path(tracking_uri[len(SQLITE):].split("?")[0])


def empty_database() -> Path:
    """The migrated, experiment-free database of the installed MLflow, made on first use."""
    template = cache_dir() / "mlflow" / f"empty-{version('mlflow')}.db"
    if template.is_file():
        return template
    from mlflow import MlflowClient

    template.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=template.parent) as scratch:
        made = Path(scratch) / "mlflow.db"
        MlflowClient(tracking_uri=f"{SQLITE}{made}").search_experiments()  # runs every migration
        with sqlite3.connect(made) as db:  # MLflow re-creates Default, with the right folder, when it is missing
            db.execute("DELETE FROM experiments WHERE experiment_id = 0")
        os.replace(made, template)
    return template


def seed_tracking_database() -> Path | None:
    """Copy the empty database to where the tracking URI points, if that is a SQLite file not made yet."""
    import mlflow

    target = sqlite_file(mlflow.get_tracking_uri())
    if target is None or target.exists():
        return None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(empty_database(), target)
    except (OSError, sqlite3.Error):  # a cache it cannot write, say: MLflow then makes the file as usual
        target.unlink(missing_ok=True)
        return None
    return target
