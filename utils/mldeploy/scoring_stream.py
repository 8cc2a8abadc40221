"""The course's scoring stream as its own process: departure events in, delay predictions out, exactly once.

    python -m mldeploy.scoring_stream (--events DIR | --kafka-bootstrap-servers HOST:PORT --kafka-topic TOPIC)
        --output DIR --checkpoint DIR --model-uri URI [--trigger "1 second" | --available-now]
        [--max-files-per-trigger N | --max-offsets-per-trigger N] [--quarantine DIR]

It reads departure events -- the JSON event files an ``EventReplayer`` writes, or the same JSON as the
values of a Kafka topic (``EventReplayer.publish_all``) -- looks each flight's features up in the lake's
``features`` table (a stream-static join: the events carry only the booking fields, the model also needs
weather and plane), scores them with the logged model through ``mlflow.pyfunc.spark_udf`` and appends
``flight_id, event_time, delay_probability, model_version, scored_at`` to a Delta table.

Why a process rather than a notebook cell: that is how a team runs it in production, and how the
reliability tests (tests/test_stream_reliability.py, tests/test_kafka_stream_reliability.py) can kill it
with SIGKILL and restart it. Its exactly-once promise rests on two things only: the checkpoint (which
files, or which Kafka offsets, each micro-batch took) and the Delta sink (which skips a batch it has
already committed when a restart replays it). Kafka keeps the records, so a batch replayed after a crash
reads the very same offsets again; a broker that goes away and comes back with its data only pauses the
stream (its consumers reconnect).

Source and sink are built in small functions (``event_source``, ``kafka_event_source``, ``delta_sink``):
both sources give the same columns, so the scoring does not know where the events came from.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .features import FEATURES, KEY
from .registry import pinned_version, resolve_uri
from .replay import EVENT_SCHEMA

#: The columns of the predictions table, in order.
OUTPUT_COLUMNS = ["flight_id", "event_time", "delay_probability", "model_version", "scored_at"]
#: The raw text of a line the JSON reader could not parse (Spark's PERMISSIVE mode fills it).
CORRUPT_COLUMN = "_corrupt_record"


@dataclass(frozen=True)
class ResolvedModel:
    """The URI the stream scores with, and the version it writes into every row.

    An alias (``models:/name@champion``) is resolved once, at start, to ``models:/name/<version>``: the
    alias may move while the stream runs, and a row must say which model actually scored it.
    """

    uri: str
    version: str


def resolve_model(model_uri: str) -> ResolvedModel:
    """Pin ``model_uri`` to a version: aliases and stages resolved, ``models:/name/3`` kept, other URIs their own."""
    uri = resolve_uri(model_uri)
    return ResolvedModel(uri, pinned_version(uri))


def event_source(spark, events_dir: str, max_files_per_trigger: int | None = None):
    """A streaming DataFrame of the event files in ``events_dir`` (schema ``EVENT_SCHEMA``).

    The schema is given up front (a stream cannot infer it from files that do not exist yet), with a
    ``_corrupt_record`` column so that a malformed line is kept as text rather than silently nulled.
    """
    reader = spark.readStream.schema(f"{EVENT_SCHEMA}, {CORRUPT_COLUMN} STRING").option(
        "columnNameOfCorruptRecord", CORRUPT_COLUMN
    )
    if max_files_per_trigger:
        reader = reader.option("maxFilesPerTrigger", max_files_per_trigger)
    return reader.json(events_dir)


def kafka_event_source(spark, bootstrap_servers: str, topic: str, starting_offsets: str = "earliest",
                       max_offsets_per_trigger: int | None = None, schema: str = EVENT_SCHEMA):
    """A streaming DataFrame of the events in Kafka ``topic``, with the same columns as ``event_source``.

    Each record's value is the JSON of one event; ``from_json`` parses it against ``schema`` (the events'
    own, ``EVENT_SCHEMA``; a benchmark adds its send time) in PERMISSIVE mode, so a value that is not valid
    JSON (or not of the schema's types) keeps its text in ``_corrupt_record`` and reaches the quarantine, as
    a malformed line of a file does. ``startingOffsets`` only counts on the first start: a restart resumes
    at the offsets in the checkpoint.
    """
    from pyspark.sql import functions as F

    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("subscribe", topic)
        .option("startingOffsets", starting_offsets)
        # failOnDataLoss stays on (the default): records deleted before the stream read them -- say by a
        # retention shorter than the events' 2013 timestamps -- stop the query rather than vanish unseen.
    )
    if max_offsets_per_trigger:
        reader = reader.option("maxOffsetsPerTrigger", max_offsets_per_trigger)
    parsed = F.from_json(
        F.col("value").cast("string"), f"{schema}, {CORRUPT_COLUMN} STRING",
        {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT_COLUMN},
    )
    return reader.load().select(parsed.alias("event")).select("event.*")


def feature_table(spark):
    """The lake's ``features`` table, key and model inputs only (the static side of the join)."""
    from .lake import read_table

    return read_table(spark, "features").select(KEY, *FEATURES)


def enrich(events, features):
    """Each event with its flight's features; events with no known flight (or no key) drop out here.

    Only the key and event time come from the event: the features table holds the same booking fields
    already, computed the way the model was trained on.
    """
    return events.select(KEY, "event_time").join(features, on=KEY, how="inner")


def score(enriched, predict, model_version: str):
    """The output rows: the probability of a delay (the model's second column) and who scored it when."""
    from pyspark.sql import functions as F

    return enriched.select(
        KEY,
        "event_time",
        predict(*FEATURES)[1].alias("delay_probability"),
        F.lit(model_version).alias("model_version"),
        F.current_timestamp().alias("scored_at"),  # in a stream: the micro-batch's timestamp
    )


def unmatched(events, features):
    """Events that cannot be scored, with the reason: a line that is not valid JSON, or an unknown flight."""
    from pyspark.sql import functions as F

    return events.join(features.select(KEY), on=KEY, how="left_anti").select(
        F.when(F.col(CORRUPT_COLUMN).isNotNull(), F.lit("malformed"))
        .when(F.col(KEY).isNull(), F.lit("no flight_id"))
        .otherwise(F.lit("unknown flight_id"))
        .alias("reason"),
        KEY,
        "event_time",
        F.coalesce(F.col(CORRUPT_COLUMN), F.to_json(F.struct(*[c for c in events.columns if c != CORRUPT_COLUMN])))
        .alias("raw"),
        F.current_timestamp().alias("quarantined_at"),
    )


def delta_sink(frame, output_dir: str, checkpoint_dir: str, *, trigger: str | None, available_now: bool,
               query_name: str):
    """Start appending ``frame`` to the Delta table at ``output_dir``, recording progress in ``checkpoint_dir``.

    The Delta sink writes each micro-batch as one commit tagged with the query id and batch id, so a
    batch replayed after a crash is recognised and skipped: that, with the checkpoint, makes it exactly once.
    """
    writer = (
        frame.writeStream.format("delta")
        .outputMode("append")
        .option("checkpointLocation", checkpoint_dir)
        .queryName(query_name)
    )
    writer = writer.trigger(availableNow=True) if available_now else writer.trigger(processingTime=trigger or "1 second")
    return writer.start(output_dir)


def start(spark, events, output_dir: str, checkpoint_dir: str, model_uri: str, *,
          trigger: str | None = "1 second", available_now: bool = False, max_files_per_trigger: int | None = None,
          quarantine_dir: str | None = None) -> list:
    """Start the scoring query (and the quarantine query, if asked); return the running queries.

    ``events`` is the folder of event files (read by ``event_source``) or a streaming DataFrame with the
    same columns, such as ``kafka_event_source(...)``. The quarantine query reads the same source with
    its own checkpoint (``<checkpoint>/quarantine`` would collide with the scoring query's, so it sits
    beside it as ``<checkpoint>-quarantine``).
    """
    import mlflow

    model = resolve_model(model_uri)
    # env_manager="local": the workers use this interpreter's packages, as the model was logged from them.
    predict = mlflow.pyfunc.spark_udf(spark, model.uri, result_type="array<double>", env_manager="local")
    if isinstance(events, (str, Path)):
        events = event_source(spark, str(events), max_files_per_trigger)
    features = feature_table(spark)
    options = dict(trigger=trigger, available_now=available_now)
    queries = [delta_sink(score(enrich(events, features), predict, model.version), output_dir, checkpoint_dir,
                          query_name="scoring", **options)]
    if quarantine_dir:
        queries.append(delta_sink(unmatched(events, features), quarantine_dir,
                                  checkpoint_dir.rstrip("/") + "-quarantine", query_name="quarantine", **options))
    return queries


def run(queries, log=None, stop_requested: Callable[[], bool] | None = None) -> None:
    """Wait until every query has ended (availableNow, or stopped by a signal); raise the first query's error.

    It waits in one-second slices rather than in one blocking call, so that a stop asked for by a signal
    (``stop_requested()`` turning true) is acted on within a second, and prints one line per finished
    micro-batch to ``log`` (a process's only sign of life is its log). The queries are stopped here, not in
    the signal handler: a handler runs in the middle of whatever Py4J call the main thread is blocked in,
    and a second call from it breaks the Py4J connection (``reentrant call``) instead of stopping anything.
    """
    reported: dict[str, int] = {}
    while any(query.isActive for query in queries):
        if stop_requested is not None and stop_requested():
            for query in queries:
                query.stop()
            break
        for query in queries:
            query.awaitTermination(1)
            progress = query.lastProgress
            if log and progress and progress["numInputRows"] and reported.get(query.name) != progress["batchId"]:
                reported[query.name] = progress["batchId"]
                print(f"{progress['timestamp']} {query.name} batch {progress['batchId']}: "
                      f"{progress['numInputRows']} events in {progress['durationMs'].get('triggerExecution', 0)} ms",
                      file=log, flush=True)
    for query in queries:
        if query.exception() is not None:
            raise RuntimeError(f"query {query.name} failed: {query.exception()}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mldeploy.scoring_stream", description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--events", help="folder the JSON event files arrive in")
    source.add_argument("--kafka-bootstrap-servers", metavar="HOST:PORT",
                        help="Kafka brokers to read the events from (with --kafka-topic)")
    parser.add_argument("--kafka-topic", help="the Kafka topic whose values are the events' JSON")
    parser.add_argument("--starting-offsets", default="earliest",
                        help='Kafka: where a new checkpoint starts, "earliest" (default) or "latest"')
    parser.add_argument("--output", required=True, help="Delta table the predictions are appended to")
    parser.add_argument("--checkpoint", required=True, help="the query's checkpoint folder (keep it to resume)")
    parser.add_argument("--model-uri", required=True, help="models:/name@alias, models:/name/3, runs:/..., ...")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--trigger", default="1 second", help='processing-time trigger (default "1 second")')
    when.add_argument("--available-now", action="store_true", help="process every file present, then exit")
    cap = parser.add_mutually_exclusive_group()
    cap.add_argument("--max-files-per-trigger", type=int, default=None, help="cap on files per micro-batch")
    cap.add_argument("--max-offsets-per-trigger", type=int, default=None,
                     help="Kafka: cap on records per micro-batch")
    parser.add_argument("--quarantine", default=None, help="Delta table for events that cannot be scored")
    args = parser.parse_args(argv)
    kafka = args.kafka_bootstrap_servers is not None
    if kafka != (args.kafka_topic is not None):
        parser.error("--kafka-bootstrap-servers and --kafka-topic go together (and replace --events)")
    if kafka and args.max_files_per_trigger:
        parser.error("--max-files-per-trigger caps the file source; with Kafka use --max-offsets-per-trigger")
    if not kafka and args.max_offsets_per_trigger:
        parser.error("--max-offsets-per-trigger caps the Kafka source; with --events use --max-files-per-trigger")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from .spark import get_spark

    if args.events is not None and "://" not in args.events:  # a folder: the stream may start before the first file
        Path(args.events).mkdir(parents=True, exist_ok=True)

    spark = get_spark("scoring-stream")  # every course session carries Spark's Kafka connector
    if args.events is None:
        events = kafka_event_source(spark, args.kafka_bootstrap_servers, args.kafka_topic,
                                    args.starting_offsets, args.max_offsets_per_trigger)
    else:
        events = args.events
    queries = start(spark, events, args.output, args.checkpoint, args.model_uri,
                    trigger=args.trigger, available_now=args.available_now,
                    max_files_per_trigger=args.max_files_per_trigger, quarantine_dir=args.quarantine)

    stopping = threading.Event()

    def stop(signum, _frame) -> None:  # SIGTERM/Ctrl-C: run() stops the queries; an unfinished batch is redone
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"scoring stream started: {', '.join(f'{q.name} {q.id}' for q in queries)}", flush=True)
    run(queries, log=sys.stdout, stop_requested=stopping.is_set)
    spark.stop()
    print("scoring stream stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
