"""The batch scoring runs unchanged on a standalone Spark cluster and gives local mode's answers.

A master and one worker start from the pip installation (``spark-class``, as the README's "Running on a
cluster" shows) on loopback ports of their own; a driver in a subprocess, with
``MLDEPLOY_SPARK=spark://127.0.0.1:PORT``, scores two days of the lake's features with a model's
``spark_udf`` (lesson 09's scale-out, lessons 02-03's scoring) and writes the answers; they must equal the
session fixture's local-mode answers. Every wait is bounded and both daemons are killed in ``finally``.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mldeploy.ports import reserve_port

DAYS = ("2013-05-01", "2013-05-02")
START_TIMEOUT = 60      # seconds for the master's port and the worker's registration
DRIVER_TIMEOUT = 150    # seconds for the driver subprocess (JVM start, executor launch, scoring)


def spark_class() -> Path:
    return Path(sys.executable).parent / "spark-class"


def daemon(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    """Start a Spark daemon in its own process group (so the whole group can be killed), logging to ``log``."""
    with open(log, "wb") as out:
        return subprocess.Popen([str(spark_class()), *args], stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)


def stop(process: subprocess.Popen | None) -> None:
    """SIGTERM the daemon's process group, SIGKILL it after 10 s."""
    if process is None or process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_for(check, what: str, timeout: float, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    tails = "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]) for log in logs)
    pytest.fail(f"{what} within {timeout} s. Daemon logs:\n{tails}")


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def alive_workers(ui_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=2) as answer:
            return int(json.load(answer).get("aliveworkers", 0))
    except (OSError, ValueError):
        return 0


DRIVER = textwrap.dedent('''
    """Score DAYS of the lake's features with the model at MODEL on whatever MLDEPLOY_SPARK names."""
    import sys

    import mlflow
    from pyspark.sql import functions as F

    from mldeploy import FEATURES, KEY, get_spark, read_table

    model, first, last, out = sys.argv[1:5]
    spark = get_spark("standalone-cluster-test")
    days = read_table(spark, "features").filter(F.col("flight_date").between(first, last))
    delay_udf = mlflow.pyfunc.spark_udf(spark, model, result_type="array<double>", env_manager="local")
    days.select(KEY, delay_udf(*FEATURES)[1].alias("p")).toPandas().to_parquet(out)
    print("master:", spark.sparkContext.master, "executors:", spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size())
    spark.stop()
''')


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory, spark, lake) -> Path:
    """A small delay model, saved as an MLflow model folder (no tracking server needed)."""
    import mlflow
    import sklearn
    from mlflow.models import infer_signature
    from pyspark.sql import functions as F

    from mldeploy import FEATURES, LABEL, SKOPS_TRUSTED_TYPES, delay_classifier, read_table

    train = (read_table(spark, "features").filter(F.col("flight_date").between("2013-04-01", "2013-04-07"))
             .filter(F.col(LABEL).isNotNull()).select(*FEATURES, LABEL).toPandas())
    model = delay_classifier(max_iter=20).fit(train[FEATURES], train[LABEL].astype(int))
    path = tmp_path_factory.mktemp("model") / "delay"
    signature = infer_signature(train[FEATURES].head(100), model.predict_proba(train[FEATURES].head(100)))
    mlflow.sklearn.save_model(model, path, signature=signature, pyfunc_predict_fn="predict_proba", skops_trusted_types=SKOPS_TRUSTED_TYPES,
                              pip_requirements=[f"scikit-learn=={sklearn.__version__}", "skops"])
    return path


def test_batch_scoring_on_a_standalone_cluster_equals_local(spark, saved_model: Path, tmp_path: Path):
    import mlflow
    from pyspark.sql import functions as F

    from mldeploy import FEATURES, KEY, read_table

    os.environ["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"
    local_udf = mlflow.pyfunc.spark_udf(spark, str(saved_model), result_type="array<double>", env_manager="local")
    local = (read_table(spark, "features").filter(F.col("flight_date").between(*DAYS))
             .select(KEY, local_udf(*FEATURES)[1].alias("p")).toPandas())

    import pyspark

    reservations = [reserve_port(port) for port in (17077, 18180, 18181)]
    master_port, master_ui, worker_ui = (r.port for r in reservations)
    env = os.environ | {"SPARK_HOME": os.path.dirname(pyspark.__file__), "SPARK_LOCAL_IP": "127.0.0.1",
                        "SPARK_LOG_DIR": str(tmp_path), "PYSPARK_PYTHON": sys.executable,
                        "MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true"}
    env.pop("MLDEPLOY_SPARK", None)
    master = worker = None
    logs = [tmp_path / "master.log", tmp_path / "worker.log"]
    try:
        for reservation in reservations:
            reservation.release()  # the daemons bind them now
        master = daemon(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(master_port),
                         "--webui-port", str(master_ui)], logs[0], env)
        wait_for(lambda: port_open(master_port) or master.poll() is not None, "The master did not open its port",
                 START_TIMEOUT, logs)
        assert master.poll() is None, "The master exited: " + logs[0].read_text(errors="replace")[-2000:]
        url = f"spark://127.0.0.1:{master_port}"
        worker = daemon(["org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores", "2",
                         "--memory", "2g", "--webui-port", str(worker_ui)], logs[1], env)
        wait_for(lambda: alive_workers(master_ui) >= 1, "No worker registered with the master", START_TIMEOUT, logs)

        script = tmp_path / "driver.py"
        script.write_text(DRIVER)
        out = tmp_path / "cluster.parquet"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(script), str(saved_model), *DAYS, str(out)],
                              env=env | {"MLDEPLOY_SPARK": url}, capture_output=True, text=True, timeout=DRIVER_TIMEOUT)
        seconds = time.perf_counter() - started
        assert done.returncode == 0, f"The driver failed on {url}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
        assert f"master: {url}" in done.stdout, f"The driver did not run on the cluster: {done.stdout[-500:]}"
    finally:
        stop(worker)
        stop(master)

    cluster = pd.read_parquet(out)
    both = local.merge(cluster, on=KEY, suffixes=("_local", "_cluster"))
    assert len(cluster) == len(local) > 500 and len(both) == len(local), (
        f"{len(local)} flights scored locally, {len(cluster)} on the cluster, {len(both)} in both.")
    assert np.allclose(both["p_local"], both["p_cluster"], rtol=0, atol=1e-12), "The cluster's answers differ."
    print(f"{len(cluster)} flights scored on {url} in {seconds:.0f} s (driver start included), equal to local mode")
