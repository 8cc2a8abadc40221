"""What the benchmarks share: a timer, latency percentiles, and the one small logged model they all score."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")  # the model is trained right here


@contextmanager
def scratch_folder(name: str) -> Iterator[Path]:
    """A temporary working folder for one benchmark (its MLflow database, files, tables), removed afterwards.

    A benchmark leaves nothing behind, and a second one started beside it cannot read its leftovers.
    """
    folder = Path(tempfile.mkdtemp(prefix=f"mldeploy-bench-{name}-"))
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(previous)
        shutil.rmtree(folder, ignore_errors=True)


def timed_ms(call: Callable[[], object]) -> float:
    """Milliseconds one call takes."""
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def percentiles(values_ms: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of a list of latencies."""
    import numpy as np

    return {f"p{q}": float(np.percentile(values_ms, q)) for q in (50, 95, 99)}


def train_and_log(spark):
    """A small delay model trained on January-September and logged with its signature; returns its ModelInfo."""
    import mlflow
    from mlflow.models import infer_signature
    from pyspark.sql import functions as F

    from mldeploy import FEATURES, LABEL, SKOPS_TRUSTED_TYPES, delay_classifier, read_table, split_by_date

    train, _ = split_by_date(read_table(spark, "features"))
    train = train.filter(F.col(LABEL).isNotNull()).limit(40_000).toPandas()
    model = delay_classifier(max_iter=60).fit(train[FEATURES], train[LABEL].astype(int))
    example = train[FEATURES].head(100)
    with mlflow.start_run():
        return mlflow.sklearn.log_model(
            model, name="model", signature=infer_signature(example, model.predict_proba(example)),
            pyfunc_predict_fn="predict_proba", skops_trusted_types=SKOPS_TRUSTED_TYPES, pip_requirements=[],
        )
