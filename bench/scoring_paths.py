"""Benchmark: the same logged model called in process and as a Spark job, side by side in one run.

Lesson 00 teaches that Spark is a throughput engine, not a request server. This script measures the claim
on the machine at hand and prints ratios, so a regression in either path (a slower session, a heavier
UDF) shows as a change in the ratio rather than in a timed assertion:

    .venv/bin/python bench/scoring_paths.py [--requests 100] [--rows 30000]

It works in a temporary folder (its own MLflow database) and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import os

from common import percentiles, scratch_folder, timed_ms, train_and_log


def measure(args: argparse.Namespace) -> tuple[dict, dict, int]:
    """Latency percentiles and rows/s of both paths, and how many rows the throughput runs scored."""
    import mlflow
    import pandas as pd
    from pyspark.sql import functions as F

    from mldeploy import FEATURES, get_spark, read_table, split_by_date

    spark = get_spark("bench-scoring-paths")
    info = train_and_log(spark)
    _, test = split_by_date(read_table(spark, "features"))
    rows = test.limit(args.rows).toPandas()[FEATURES]

    in_process = mlflow.pyfunc.load_model(info.model_uri)
    udf = mlflow.pyfunc.spark_udf(spark, info.model_uri, result_type="array<double>")

    def spark_job(frame: pd.DataFrame):
        return spark.createDataFrame(frame).select(udf(*FEATURES)[1].alias("p")).agg(F.avg("p")).collect()

    spark_job(rows.head(1))  # warm up: the first job starts Python workers and loads the model
    requests = [rows.iloc[[i % len(rows)]] for i in range(args.requests)]
    latency = {
        "in-process": percentiles([timed_ms(lambda r=r: in_process.predict(r)) for r in requests]),
        "spark job": percentiles([timed_ms(lambda r=r: spark_job(r)) for r in requests]),
    }
    throughput = {
        "in-process": len(rows) / (timed_ms(lambda: in_process.predict(rows)) / 1000),
        "spark job": len(rows) / (timed_ms(lambda: spark_job(rows)) / 1000),
    }
    spark.stop()
    return latency, throughput, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="single-row requests per path")
    parser.add_argument("--rows", type=int, default=30_000, help="rows for the throughput comparison")
    args = parser.parse_args()

    with scratch_folder("scoring-paths"):
        latency, throughput, rows = measure(args)

    print(f"\nOne model, two call paths ({os.cpu_count()} cores, {args.requests} single-row requests, "
          f"{rows:,} rows for throughput)\n")
    print(f"{'path':<12} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'rows/s':>12}")
    for path in latency:
        p = latency[path]
        print(f"{path:<12} {p['p50']:9.1f} {p['p95']:9.1f} {p['p99']:9.1f} {throughput[path]:12,.0f}")
    print()
    print(f"p50 latency ratio, spark job / in-process: {latency['spark job']['p50'] / latency['in-process']['p50']:8.1f}x")
    print(f"p99 latency ratio, spark job / in-process: {latency['spark job']['p99'] / latency['in-process']['p99']:8.1f}x")
    print(f"throughput ratio, in-process / spark job:  {throughput['in-process'] / throughput['spark job']:8.1f}x")


if __name__ == "__main__":
    main()
