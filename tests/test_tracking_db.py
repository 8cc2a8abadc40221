"""mldeploy.tracking_db: a lesson's new MLflow database is a copy of an empty one, and behaves as a new one."""

from __future__ import annotations

import mlflow
import pytest
from mlflow import MlflowClient

from mldeploy.paths import lesson_dir
from mldeploy.tracking_db import seed_tracking_database, sqlite_file


@pytest.fixture
def lesson_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("MLDEPLOY_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    yield tmp_path
    mlflow.set_tracking_uri(None)


def test_the_copied_database_creates_default_in_the_lesson_s_folder(lesson_folder):
    lesson_dir()
    assert (lesson_folder / "mlflow.db").is_file(), "lesson_dir() seeds the lesson's database"
    assert list((lesson_folder / "cache" / "mlflow").glob("empty-*.db")), "from the migrated template"
    experiment = mlflow.set_experiment("seeded")
    default = MlflowClient().get_experiment("0")
    assert default.name == "Default" and default.artifact_location == str(lesson_folder / "mlruns" / "0")
    with mlflow.start_run(experiment_id=experiment.experiment_id) as run:
        mlflow.log_metric("m", 1.0)
        mlflow.log_text("kept", "note.txt")
    assert MlflowClient().get_run(run.info.run_id).data.metrics == {"m": 1.0}
    assert (lesson_folder / "mlruns" / experiment.experiment_id / run.info.run_id / "artifacts" / "note.txt").is_file()


def test_an_existing_database_or_a_server_is_left_alone(lesson_folder, monkeypatch):
    existing = lesson_folder / "mlflow.db"
    existing.write_bytes(b"a learner's runs")
    assert seed_tracking_database() is None and existing.read_bytes() == b"a learner's runs"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert seed_tracking_database() is None
    assert sqlite_file("sqlite:///mlflow.db").name == "mlflow.db" and sqlite_file("postgresql://db/x") is None
