"""Benchmark: the course's scoring stream (``mldeploy.scoring_stream``), its latency and its throughput against batch.

    .venv/bin/python bench/stream.py [--seconds 40] [--pace 0.5] [--per-file 20] [--month 7]

Two parts, run in one process on one Spark session, printed as a small table:

- **latency** (goal p50 <= 3 s): the stream runs with a 1 s processing-time trigger while event files
  (``--per-file`` departures each) are written one by one, one every ``--pace`` seconds, for
  ``--seconds``. For every event: *the time the Delta commit holding its prediction became visible*
  (the modification time of that commit's ``_delta_log/NNN.json``, i.e. the moment a reader can see
  it) *minus the time its file appeared* (recorded right after the file's atomic rename). It covers
  the wait for the next trigger, the file listing, the join, the model and the Delta commit.
- **throughput** (goal stream / batch >= 0.5): a month of departures (``--month``, ~27-29k events)
  in files of 200, scored once by the stream with ``availableNow`` (all files in one micro-batch,
  and again capped at 20 files per micro-batch, to show what each extra batch costs) and once by the
  batch job: ``spark.read`` of the same files, the same enrichment and ``spark_udf``, a Delta write.
  Each path is timed from creating its UDF to its last commit, after one warm-up run of each (best
  of ``--rounds`` timed runs); the ratio is rows/s of the stream over rows/s of the batch job.

It works in a temporary folder (its own MLflow database, files and tables) and leaves nothing behind.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from common import percentiles, scratch_folder, train_and_log

LATENCY_GOAL_S = 3.0
RATIO_GOAL = 0.5


def delta_commits(table: Path) -> list[dict]:
    """Each commit of a Delta table, read from its log: version, when it became visible, files added, rows added."""
    commits = []
    for entry in sorted((table / "_delta_log").glob("*.json")):
        if not entry.stem.isdigit():
            continue
        added, rows = [], 0
        for line in entry.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                added.append(Path(action["add"]["path"]).name)
                rows += json.loads(action["add"].get("stats") or "{}").get("numRecords", 0)
        commits.append({"version": int(entry.stem), "visible_at": entry.stat().st_mtime_ns / 1e9,
                        "files": added, "rows": rows})
    return commits


def wait_for_rows(table: Path, rows: int, timeout: float) -> None:
    """Wait until the table's commits hold ``rows`` rows (read from the log, so no Spark job competes)."""
    deadline = time.monotonic() + timeout
    while sum(commit["rows"] for commit in delta_commits(table)) < rows:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{table} did not reach {rows} rows within {timeout:.0f} s")
        time.sleep(0.1)


def january_events(spark, first_day: int, count: int):
    """The first ``count`` departure events (pandas) of January from ``first_day`` on, from the lake's flights."""
    from pyspark.sql import functions as F

    from mldeploy import departure_events, read_table

    flights = (read_table(spark, "flights").filter((F.col("month") == 1) & (F.col("day") >= first_day))
               .orderBy("sched_dep_ts", "flight_id").limit(count))
    return departure_events(flights.toPandas())


def latency(spark, model_uri: str, folder: Path, seconds: float, pace: float, per_file: int) -> dict:
    """Event-file-written to prediction-visible latency of the stream at a 1 s trigger (see the docstring)."""
    import numpy as np

    from mldeploy import KEY, EventReplayer
    from mldeploy.scoring_stream import start

    events_dir, output = folder / "latency-events", folder / "latency-predictions"
    events_dir.mkdir()
    # The replayers write into staging folders; each file then moves into the stream's folder under its own
    # name (an atomic rename), so the stream never sees two files under one name.
    warm_up = EventReplayer(january_events(spark, 1, 200), folder / "staging-warm-up", events_per_file=10_000)
    files = int(seconds / pace)
    replayer = EventReplayer(january_events(spark, 2, files * per_file), folder / "staging-timed",
                             events_per_file=per_file, late_share=0.0)
    (query,) = start(spark, str(events_dir), str(output), str(folder / "latency-checkpoint"), model_uri,
                     trigger="1 second")
    try:
        # The first file makes the stream start its Python workers and load the model: not timed.
        os.replace(warm_up.write_next(), events_dir / "warm-up.json")
        wait_for_rows(output, len(warm_up.plan), timeout=180)
        written_at: list[float] = []
        names: list[str] = []
        for index in range(replayer.files):
            target = time.time() + pace
            path = events_dir / f"timed-{index:05d}.json"
            os.replace(replayer.write_next(), path)
            written_at.append(time.time())
            names.append(path.name)
            time.sleep(max(target - time.time(), 0))
        wait_for_rows(output, len(warm_up.plan) + len(replayer.plan), timeout=120)
        batch_ms = [p["durationMs"]["triggerExecution"] for p in query.recentProgress if p["numInputRows"] > 0]
    finally:
        query.stop()

    visible = {name: commit["visible_at"] for commit in delta_commits(output) for name in commit["files"]}
    rows = (spark.read.format("delta").load(str(output)).select(KEY, "_metadata.file_path").toPandas())
    rows["visible_at"] = rows["file_path"].map(lambda uri: visible[Path(uri).name])
    file_of = {key: position // per_file for position, key in enumerate(replayer.plan[KEY])}  # write order
    timed = rows[rows[KEY].isin(file_of)]
    lags = timed["visible_at"].to_numpy() - np.array([written_at[file_of[key]] for key in timed[KEY]])
    stats = percentiles(list(lags * 1000))
    return {"events": len(timed), "files": len(names), "batches": len(batch_ms),
            "batch_ms": float(np.median(batch_ms)), "p50_s": stats["p50"] / 1000, "p99_s": stats["p99"] / 1000}


def throughput(spark, model_uri: str, folder: Path, month: int, rounds: int) -> tuple[int, int, dict[str, float]]:
    """Rows/s of the batch job and of the stream (availableNow, uncapped and at 20 files per batch) on a month."""
    import mlflow
    from pyspark.sql import functions as F

    from mldeploy import EVENT_SCHEMA, EventReplayer, departure_events, read_table
    from mldeploy.scoring_stream import enrich, feature_table, resolve_model, run, score, start

    events_dir = folder / "month-events"
    flights = read_table(spark, "flights").filter(F.col("month") == month).toPandas()
    replayer = EventReplayer(departure_events(flights), events_dir, events_per_file=200)
    replayer.write_all()
    events = len(replayer.plan)
    counter = iter(range(1_000))

    def batch_job() -> None:
        model = resolve_model(model_uri)
        predict = mlflow.pyfunc.spark_udf(spark, model.uri, result_type="array<double>", env_manager="local")
        frame = spark.read.schema(EVENT_SCHEMA).json(str(events_dir))
        (score(enrich(frame, feature_table(spark)), predict, model.version)
         .write.format("delta").mode("append").save(str(folder / f"batch-{next(counter)}")))

    def stream_job(max_files: int | None) -> None:
        run_id = next(counter)
        run(start(spark, str(events_dir), str(folder / f"stream-{run_id}"), str(folder / f"checkpoint-{run_id}"),
                  model_uri, available_now=True, max_files_per_trigger=max_files))

    paths = {"batch job (spark.read)": batch_job,
             "stream, availableNow": lambda: stream_job(None),
             "stream, availableNow, 20 files/batch": lambda: stream_job(20)}
    for job in paths.values():  # warm-up: JIT, Python workers, the model in the worker's cache
        job()
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, job in paths.items():
            started = time.perf_counter()
            job()
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - started)
    return events, replayer.files, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40, help="how long event files keep arriving (latency)")
    parser.add_argument("--pace", type=float, default=0.5, help="seconds between two event files (latency)")
    parser.add_argument("--per-file", type=int, default=20, help="events per file (latency)")
    parser.add_argument("--month", type=int, default=7, help="the month of flights replayed (throughput)")
    parser.add_argument("--rounds", type=int, default=1, help="timed runs of each path, best kept (throughput)")
    args = parser.parse_args()

    with scratch_folder("stream") as folder:
        from mldeploy import get_spark

        spark = get_spark("bench-stream")
        spark.sparkContext.setLogLevel("ERROR")
        model_uri = train_and_log(spark).model_uri
        lat = latency(spark, model_uri, folder, args.seconds, args.pace, args.per_file)
        events, files, best = throughput(spark, model_uri, folder, args.month, args.rounds)
        spark.stop()

    print(f"\n## Latency: event file written -> its prediction visible in Delta (trigger 1 s, {os.cpu_count()} cores)\n")
    print(f"{'events':>7} {'files':>6} {'batches':>8} {'batch ms':>9} {'p50 s':>7} {'p99 s':>7}  goal")
    print(f"{lat['events']:>7} {lat['files']:>6} {lat['batches']:>8} {lat['batch_ms']:>9.0f} "
          f"{lat['p50_s']:>7.2f} {lat['p99_s']:>7.2f}  p50 <= {LATENCY_GOAL_S:.0f} s: "
          f"{'met' if lat['p50_s'] <= LATENCY_GOAL_S else 'NOT met'}")
    print(f"(one file every {args.pace} s, {args.per_file} events each; 'batch ms' is the median micro-batch "
          f"duration from the query's progress)")
    batch_rate = events / best["batch job (spark.read)"]
    print(f"\n## Throughput: month {args.month}, {events:,} events in {files} files (best of {args.rounds})\n")
    print(f"{'path':<38} {'seconds':>8} {'rows/s':>9} {'/ batch':>8}")
    for name, seconds in best.items():
        print(f"{name:<38} {seconds:>8.2f} {events / seconds:>9,.0f} {events / seconds / batch_rate:>8.2f}")
    ratio = events / best["stream, availableNow"] / batch_rate
    print(f"stream (availableNow) / batch rows/s: {ratio:.2f} (goal >= {RATIO_GOAL}: "
          f"{'met' if ratio >= RATIO_GOAL else 'NOT met'})")
    # Latency is an absolute time, so it says how busy the machine was: other work stretches every batch.
    print(f"\nmachine load average (1, 5, 15 min) at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
