"""Benchmark: the batch lessons' claims (02 and 03) measured side by side in one run, printed as ratios.

    .venv/bin/python bench/batch.py [--scale 10] [--lookups 300] [--parts throughput,layouts,store]

Three parts, each a ratio rather than a timed assertion (a ratio survives a slower or busier machine):

- **throughput**: one logged model scoring every flight with pandas, with ``mlflow.pyfunc.spark_udf`` and
  with ``mapInPandas``, at 1x and ``--scale``x the flights. Two sizes give each path a fixed cost (worker
  start, model load) and a per-row cost, hence the row count at which Spark overtakes pandas here.
- **layouts**: files read by a selective query on the predictions table, plain, partitioned, Z-ordered
  and liquid-clustered, from Spark's own scan metrics, as a ratio to the plain table
  (goals: Z-order and clustering <= 0.2; one partition <= 1/12 of the files + 1).
- **store**: a keyed lookup in the online store against calling the model in process for one flight,
  p50 and p99 (goal: lookup/model <= 0.25).

It works in a temporary folder (its own MLflow database, tables and store) and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from common import percentiles, scratch_folder, timed_ms, train_and_log

PARTS = ("throughput", "layouts", "store")


def throughput(spark, model_uri: str, scale: int, folder: Path) -> None:
    """Rows per second of three scoring paths at 1x and ``scale``x the flights, and the crossover."""
    import mlflow
    import pandas as pd
    from pyspark.sql import functions as F

    from mldeploy import FEATURES, KEY, read_table

    features = read_table(spark, "features").select(KEY, *FEATURES)
    tables = {1: str(folder / "flights_1x"), scale: str(folder / f"flights_{scale}x")}
    features.write.format("delta").save(tables[1])
    (features.crossJoin(spark.range(scale).withColumnRenamed("id", "copy"))
     .withColumn(KEY, F.col(KEY) * scale + F.col("copy")).drop("copy")
     .write.format("delta").save(tables[scale]))

    model = mlflow.pyfunc.load_model(model_uri)
    udf = mlflow.pyfunc.spark_udf(spark, model_uri, result_type="array<double>")

    def score_partitions(batches):
        partition_model = mlflow.pyfunc.load_model(model_uri)  # once per task, as a pandas UDF would
        for batch in batches:
            yield pd.DataFrame({KEY: batch[KEY], "p": partition_model.predict(batch[FEATURES])[:, 1]})

    def run_pandas(path: str) -> None:
        files = spark.read.format("delta").load(path).inputFiles()
        frame = pd.concat([pd.read_parquet(file) for file in files], ignore_index=True)
        model.predict(frame[FEATURES])

    def run_spark_udf(path: str) -> None:
        frame = spark.read.format("delta").load(path)
        frame.select(KEY, udf(*FEATURES)[1].alias("p")).write.format("noop").mode("overwrite").save()

    def run_map_in_pandas(path: str) -> None:
        frame = spark.read.format("delta").load(path)
        frame.mapInPandas(score_partitions, f"{KEY} long, p double").write.format("noop").mode("overwrite").save()

    paths = {"pandas (read + predict)": run_pandas, "spark_udf": run_spark_udf, "mapInPandas": run_map_in_pandas}
    run_spark_udf(tables[1])  # warm up the JVM and the Python workers once, as a scheduled job's would be
    timings = {name: {size: timed_ms(lambda run=run, size=size: run(tables[size])) / 1000 for size in tables}
               for name, run in paths.items()}

    flights = features.count()
    rows = {size: flights * size for size in tables}
    print(f"\n## Throughput: one logged model over every flight ({os.cpu_count()} cores)\n")
    print(f"{'path':<24} " + " ".join(f"{f'{size}x rows/s':>14}" for size in tables) + f" {'fixed s':>9}")
    fixed_and_per_row = {}
    for name, by_size in timings.items():
        per_row = (by_size[scale] - by_size[1]) / (rows[scale] - rows[1])
        fixed = max(by_size[1] - per_row * rows[1], 0.0)
        fixed_and_per_row[name] = (fixed, per_row)
        print(f"{name:<24} " + " ".join(f"{rows[size] / by_size[size]:14,.0f}" for size in tables) + f" {fixed:9.2f}")
    pandas_fixed, pandas_per_row = fixed_and_per_row["pandas (read + predict)"]
    for name in ("spark_udf", "mapInPandas"):
        fixed, per_row = fixed_and_per_row[name]
        ratio = (rows[scale] / timings[name][scale]) / (rows[scale] / timings["pandas (read + predict)"][scale])
        print(f"{name} / pandas rows/s at {scale}x: {ratio:.2f}")
        if per_row < pandas_per_row:
            crossover = (fixed - pandas_fixed) / (pandas_per_row - per_row)
            print(f"  {name} overtakes pandas above about {max(crossover, 0):,.0f} rows on this machine")
        else:
            print(f"  {name} never overtakes pandas here: its per-row cost is not lower on "
                  f"{os.cpu_count()} cores (Spark pays off when rows outgrow one machine's memory, or with more cores)")


def layouts(spark, model_uri: str, folder: Path) -> None:
    """Files read by a selective query on four layouts of the same predictions, as ratios to the plain table."""
    import mlflow
    from pyspark.sql import functions as F

    from mldeploy import FEATURES, KEY, files_in_table, read_table, scan_metrics

    udf = mlflow.pyfunc.spark_udf(spark, model_uri, result_type="array<double>")
    predictions = (read_table(spark, "features")
                   .select(KEY, "flight_date", "month", "carrier", "origin", "dest",
                           udf(*FEATURES)[1].alias("delay_probability")))
    plain, partitioned, zordered, clustered = (str(folder / name) for name in
                                               ("plain", "partitioned", "zordered", "clustered"))
    predictions.repartition(16).write.format("delta").save(plain)  # 16 files, every value in each, as appends leave
    predictions = spark.read.format("delta").load(plain)
    predictions.repartition("month").write.format("delta").partitionBy("month").save(partitioned)
    for path in (zordered, clustered):
        predictions.repartition(16).write.format("delta").save(path)
    # Delta's 1 GB target would make these few MB one file, and one file cannot be skipped: aim at 16.
    size = spark.sql(f"DESCRIBE DETAIL delta.`{plain}`").first()["sizeInBytes"]
    spark.conf.set("spark.databricks.delta.optimize.maxFileSize", str(size // 16))
    spark.sql(f"OPTIMIZE delta.`{zordered}` ZORDER BY (carrier, dest)")
    spark.sql(f"ALTER TABLE delta.`{clustered}` CLUSTER BY (carrier, dest)")  # path tables: ALTER, then OPTIMIZE
    spark.sql(f"OPTIMIZE delta.`{clustered}`")
    spark.conf.unset("spark.databricks.delta.optimize.maxFileSize")

    conditions = {"route": (F.col("carrier") == "UA") & (F.col("dest") == "IAH"), "month": F.col("month") == 7}
    runs = [("plain", plain, "route"), ("plain", plain, "month"), ("partitioned by month", partitioned, "month"),
            ("Z-ordered (carrier, dest)", zordered, "route"), ("clustered (carrier, dest)", clustered, "route")]
    plain_files = files_in_table(spark, plain)
    goals = {"partitioned by month": (plain_files / 12 + 1) / plain_files, "Z-ordered (carrier, dest)": 0.2,
             "clustered (carrier, dest)": 0.2}
    print("\n## Layouts: files read by a selective query (Spark's scan metrics)\n")
    print(f"{'layout':<27} {'query':<6} {'files read':>10} {'of files':>9} {'/ plain':>8} {'goal':>8}")
    baseline = {}
    for layout, path, query in runs:
        read = scan_metrics(spark.read.format("delta").load(path).filter(conditions[query])).files_read
        baseline.setdefault(query, read)
        goal = f"<= {goals[layout]:.3f}" if layout in goals else ""
        print(f"{layout:<27} {query:<6} {read:>10} {files_in_table(spark, path):>9} "
              f"{read / baseline[query]:>8.3f} {goal:>8}")


def store(spark, model_uri: str, folder: Path, lookups: int) -> None:
    """One flight's precomputed prediction from the online store vs the model called in process."""
    import mlflow

    from mldeploy import FEATURES, KEY, OnlineStore, read_table

    flights = read_table(spark, "features").select(KEY, *FEATURES).limit(20_000).toPandas()
    model = mlflow.pyfunc.load_model(model_uri)
    predictions = flights[[KEY]].assign(delay_probability=model.predict(flights[FEATURES])[:, 1])
    online = OnlineStore(f"sqlite:///{folder / 'online.db'}")
    online.publish("predictions", predictions, key=KEY)
    keys = flights[KEY].sample(lookups, random_state=0).tolist()
    rows = {key: flights.loc[flights[KEY] == key, FEATURES] for key in keys}
    online.get("predictions", keys[0])
    model.predict(rows[keys[0]])  # warm both paths once
    lookup = percentiles([timed_ms(lambda key=key: online.get("predictions", key)) for key in keys])
    invoke = percentiles([timed_ms(lambda key=key: model.predict(rows[key])) for key in keys])
    print(f"\n## Online store: {lookups} single-flight reads\n")
    print(f"{'path':<28} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'online-store lookup':<28} {lookup['p50']:8.3f} {lookup['p99']:8.3f}")
    print(f"{'model called in process':<28} {invoke['p50']:8.3f} {invoke['p99']:8.3f}")
    for q in ("p50", "p99"):
        print(f"{q} ratio, lookup / model: {lookup[q] / invoke[q]:.3f} (goal <= 0.25)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10, help="the larger size, as a multiple of the flights")
    parser.add_argument("--lookups", type=int, default=300, help="single-flight reads per path in the store part")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated subset of {', '.join(PARTS)}")
    args = parser.parse_args()
    parts = args.parts.split(",")
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; choose from {', '.join(PARTS)}")

    with scratch_folder("batch") as folder:
        from mldeploy import get_spark

        spark = get_spark("bench-batch")
        model_uri = train_and_log(spark).model_uri
        if "throughput" in parts:
            throughput(spark, model_uri, args.scale, folder)
        if "layouts" in parts:
            layouts(spark, model_uri, folder)
        if "store" in parts:
            store(spark, model_uri, folder, args.lookups)
        spark.stop()


if __name__ == "__main__":
    main()
