"""mldeploy.pipelines runs a real Spark Declarative Pipeline on the session's own Spark Connect server:
incremental re-runs, checkpoints, a catalog that remembers, clear failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mldeploy.pipelines import PipelineError, connect_url, parse_log, run_pipeline

STREAM = '''
from pyspark import pipelines as dp
from pyspark.sql import functions as F


@dp.table
def numbers():
    return spark.readStream.schema("n INT").json(spark.conf.get("tiny.input"))


@dp.materialized_view
def total():
    return spark.read.table("numbers").agg(F.count("*").alias("rows"), F.sum("n").alias("sum"))
'''

BROKEN = '''
from pyspark import pipelines as dp


@dp.materialized_view
def orphan():
    return spark.read.table("no_such_table")
'''


def write_spec(folder: Path, inputs: Path, spark) -> Path:
    """The tiny pipeline's spec and code in ``folder``; its tables go to a schema located in ``folder/warehouse``."""
    schema = f"tiny_{folder.name.replace('-', '_').lower()}"
    spark.sql(f"CREATE DATABASE {schema} LOCATION '{folder / 'warehouse'}'")
    spec = folder / "spark-pipeline.yml"
    spec.write_text(json.dumps({  # JSON is YAML
        "name": "tiny",
        "storage": (folder / "storage").as_uri(),
        "database": schema,
        "libraries": [{"glob": {"include": "transformations/**"}}],
        "configuration": {"tiny.input": str(inputs)},
    }))
    (folder / "transformations").mkdir()
    (folder / "transformations" / "tiny.py").write_text(STREAM)
    return spec


def write_numbers(folder: Path, name: str, numbers: list[int]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text("".join(json.dumps({"n": n}) + "\n" for n in numbers))


class _Conf(dict):
    def get(self, key, default=None):
        return super().get(key, default)


class _Session:
    def __init__(self, **conf: str) -> None:
        self.conf = _Conf(conf)


def test_connect_url_is_the_sessions_own_server_or_a_clear_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("MLDEPLOY_SPARK", raising=False)
    serving = _Session(**{"spark.plugins": "org.apache.spark.sql.connect.SparkConnectPlugin",
                          "spark.connect.grpc.binding.port": "15007"})
    assert connect_url(serving) == "sc://127.0.0.1:15007"
    with pytest.raises(PipelineError, match="connect_server=True"):
        connect_url(_Session())
    monkeypatch.setenv("MLDEPLOY_SPARK", "sc://spark.example:15002")  # a Connect client: its server runs it
    assert connect_url(_Session()) == "sc://spark.example:15002"


def test_the_test_session_serves_spark_connect(spark):
    assert connect_url(spark).startswith("sc://127.0.0.1:")


def test_log_is_read_into_flows_state_and_phases(tmp_path: Path):
    log = tmp_path / "run.log"
    log.write_text(
        ":: resolving dependencies\n"
        "2026-01-01 10:00:00: Creating Spark session...\n"
        "2026-01-01 10:00:10: Creating dataflow graph...\n"
        "2026-01-01 10:00:12: Registering graph elements...\n"
        "2026-01-01 10:00:15: Starting run...\n"
        "2026-01-01 10:00:20: Flow spark_catalog.default.numbers is RUNNING.\n"
        "2026-01-01 10:00:25: Flow spark_catalog.default.numbers has COMPLETED.\n"
        "2026-01-01 10:00:26: Flow spark_catalog.default.total has FAILED.\n"
        "2026-01-01 10:00:27: Run is FAILED.\n"
    )
    run = parse_log(log, command="run", spec=tmp_path / "spec.yml", returncode=1, seconds=27.0)
    assert run.flows == {"spark_catalog.default.numbers": "COMPLETED", "spark_catalog.default.total": "FAILED"}
    assert run.state == "FAILED" and not run.ok
    assert run.phases["connect to Spark"] == 10 and run.phases["run the flows"] == 7
    assert "total" in run.summary() and "FAILED" in run.summary()


def test_missing_spec_is_reported_before_the_cli_starts(tmp_path: Path):
    with pytest.raises(PipelineError, match="No pipeline spec"):
        run_pipeline(tmp_path / "spark-pipeline.yml", _Session())


def test_pipeline_reruns_incrementally_and_reports_failures(spark, tmp_path: Path):
    inputs = tmp_path / "inputs"
    write_numbers(inputs, "a.json", [1, 2, 3])
    spec = write_spec(tmp_path, inputs, spark)

    first = run_pipeline(spec, spark, timeout=600)
    assert first.ok and set(first.flows.values()) == {"COMPLETED"}, first.summary()
    warehouse = tmp_path / "warehouse"
    numbers = lambda: spark.read.format("delta").load(str(warehouse / "numbers"))  # noqa: E731
    assert numbers().count() == 3

    write_numbers(inputs, "b.json", [10, 20])
    second = run_pipeline(spec, spark, timeout=600)
    assert second.ok, second.summary()
    assert sorted(r["n"] for r in numbers().collect()) == [1, 2, 3, 10, 20], "each file must be read exactly once"
    total = spark.read.format("delta").load(str(warehouse / "total")).first()
    assert (total["rows"], total["sum"]) == (5, 36), "the materialized view is recomputed from all rows"
    schema = json.loads(spec.read_text())["database"]
    assert spark.table(f"{schema}.numbers").count() == 5, "the session's catalog knows the pipeline's tables"
    commits = list((tmp_path / "storage" / "_checkpoints").glob("*/*/numbers/*/*/commits/*"))
    assert len([c for c in commits if c.name.isdigit()]) >= 2, "the engine keeps the stream's checkpoint in storage"


#: What the real CLI prints when a definition reads a table that does not exist (spark-pipelines 4.2, a dry-run
#: of BROKEN beside the tiny pipeline), stack frames shortened: the test above already shows real runs.
FAILED_RUN_OUTPUT = """\
:: resolving dependencies :: org.apache.spark#spark-submit-parent
2026-11-30 21:29:15: Creating Spark session...
2026-11-30 21:29:36: Creating dataflow graph...
2026-11-30 21:29:43: Registering graph elements...
2026-11-30 21:29:46: Starting run...
2026-11-30 21:29:47: Failed to resolve flow: 'spark_catalog.default.orphan'.
Error: [TABLE_OR_VIEW_NOT_FOUND] The table or view `spark_catalog`.`default`.`no_such_table` cannot be found. SQLSTATE: 42P01;
Traceback (most recent call last):
  File "pyspark/pipelines/cli.py", line 450, in <module>
pyspark.errors.exceptions.connect.AnalysisException:
Failed to resolve flows in the pipeline.
Flows with errors: spark_catalog.default.orphan
"""


def test_a_failed_run_raises_with_its_errors_and_keeps_its_log(spark, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    spec = write_spec(tmp_path, tmp_path / "inputs", spark)
    (tmp_path / "transformations" / "broken.py").write_text(BROKEN)
    printed = tmp_path / "cli-output.txt"
    printed.write_text(FAILED_RUN_OUTPUT)
    launcher = tmp_path / "fake-spark-pipelines"  # stands in for the CLI: prints the real failure, exits 1
    launcher.write_text(f"#!/bin/sh\ncat '{printed}'\nexit 1\n")
    launcher.chmod(0o755)
    monkeypatch.setattr("mldeploy.pipelines.cli_path", lambda: launcher)

    with pytest.raises(PipelineError) as failure:
        run_pipeline(spec, spark, command="dry-run", timeout=600)
    message = str(failure.value)
    assert "failed (FAILED, exit code 1)" in message and "TABLE_OR_VIEW_NOT_FOUND" in message, message
    assert "Flows with errors: spark_catalog.default.orphan" in message, "the log's tail belongs in the message"
    result = run_pipeline(spec, spark, command="dry-run", timeout=600, check=False)
    assert not result.ok and result.state == "FAILED" and result.log.read_text() == FAILED_RUN_OUTPUT
