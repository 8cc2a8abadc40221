"""The scoring stream reading Kafka survives being killed and the broker going away: every event scored exactly once.

Kafka replaces the event files (``python -m mldeploy.scoring_stream --kafka-bootstrap-servers ...
--kafka-topic ...``); the scoring and the Delta sink are the same code. A course broker
(``mldeploy.kafka.start_kafka``) runs for this module; the test publishes a day of departure events to a
topic of its own (two partitions, kept forever: the events carry 2013 timestamps, and a topic with the
default 7-day retention would delete them at once).

One stream, two runs from the same checkpoint, with its quarantine query beside it:

1. half the day in the topic; the process is killed with SIGKILL while a micro-batch is in flight (its
   Kafka offsets planned in the checkpoint's ``offsets/`` but not yet in ``commits/``);
2. restarted, it redoes that batch; with the next batch in flight the broker is stopped and restarted (same
   data, same port); the rest of the day and two records it cannot score arrive while it runs; SIGTERM
   then stops it cleanly, as a service manager would.

The predictions table must then hold exactly one row per published event, each probability what the model
says in pandas, and the quarantine the two bad records, once each: nothing lost, nothing doubled. Each
start of the process is a JVM start and a first batch that loads the model (30-40 s here), so the test
keeps to two (until December 2026 the kill and the broker restart were two tests with four starts); every
wait is bounded, and process groups are killed in a ``finally``. The file-source twin is
tests/test_stream_reliability.py, whose helpers (the process wrapper, the checkpoint readers, the
registered model) this module reuses.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kafka_helpers import create_topic
from test_stream_reliability import (  # noqa: F401 (registered_model is a fixture)
    MODEL_NAME, StreamProcess, assert_scored_exactly_once, batch_ids, in_flight, registered_model, stream_env,
)

CHUNKS = 8
PARTITIONS = 2


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """A course Kafka broker (KRaft, loopback, free port) for this module's tests, stopped at the end."""
    from mldeploy.kafka import start_kafka

    with start_kafka(tmp_path_factory.mktemp("kafka")) as running:
        yield running


def producer(bootstrap_servers: str):
    """A producer that waits for the broker's acknowledgement (and retries through a broker restart)."""
    from confluent_kafka import Producer

    return Producer({"bootstrap.servers": bootstrap_servers, "acks": "all", "enable.idempotence": True,
                     "message.timeout.ms": 300_000, "log_level": 2})  # not every refused reconnect on stderr


def publish(replayer, producer_, topic: str) -> int:
    """Publish the replayer's next chunk of events; fail if any record is still unacknowledged."""
    sent = replayer.publish_next(producer_, topic)
    assert producer_.flush(120) == 0, "records still unacknowledged by the broker after 120 s"
    return sent


def end_offsets(checkpoint: Path, batch: int) -> int:
    """How many records the source had read up to the end of ``batch`` (its planned end offsets, summed)."""
    lines = (checkpoint / "offsets" / str(batch)).read_text().splitlines()
    return sum(offset for partitions in json.loads(lines[-1]).values() for offset in partitions.values())


def delta_rows(table: Path) -> int:
    """Rows appended to a Delta table, read from its log (``numRecords`` of each added file): no Spark job."""
    rows = 0
    for entry in (table / "_delta_log").glob("*.json") if (table / "_delta_log").is_dir() else []:
        for line in entry.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                rows += json.loads(action["add"].get("stats") or "{}").get("numRecords", 0)
    return rows


def day_of_events(spark, day: int):
    """Every departure event of January ``day`` (pandas), from the lake's flights."""
    from pyspark.sql import functions as F

    from mldeploy import departure_events, read_table

    flights = read_table(spark, "flights").filter((F.col("month") == 1) & (F.col("day") == day)).toPandas()
    return departure_events(flights)


def test_killed_kafka_stream_scores_every_event_exactly_once_through_a_broker_restart(spark, lake, broker,
                                                                                       registered_model, tmp_path):
    from mldeploy import KEY, EventReplayer, KafkaBroker

    events = day_of_events(spark, 2)
    per_chunk = -(-len(events) // CHUNKS)
    replayer = EventReplayer(events, tmp_path / "unused", events_per_file=per_chunk)
    assert replayer.files == CHUNKS
    topic = create_topic(broker.bootstrap_servers, "kills", PARTITIONS)
    output, checkpoint, quarantine = tmp_path / "predictions", tmp_path / "checkpoint", tmp_path / "quarantine"
    # One chunk per micro-batch (the cap is split across the partitions in proportion to what each holds).
    args = ["--kafka-bootstrap-servers", broker.bootstrap_servers, "--kafka-topic", topic, "--output", str(output),
            "--checkpoint", str(checkpoint), "--model-uri", f"models:/{MODEL_NAME}@champion",
            "--max-offsets-per-trigger", str(per_chunk), "--quarantine", str(quarantine)]
    tracking_uri, logged = registered_model
    send = producer(broker.bootstrap_servers)
    # Two values the stream cannot score: not JSON at all, and a flight the features table does not know.
    bad = {"malformed": b'{"flight_id": 1, "carrier": "UA"', "unknown flight_id": json.dumps(
        {"flight_id": -7, "carrier": "UA", "event_time": "2013-01-02T08:00:00Z"}).encode()}
    published = 0

    def committed() -> set[int]:
        return batch_ids(checkpoint / "commits")

    def read_so_far() -> int:
        """Records taken by committed batches."""
        done = committed()
        return end_offsets(checkpoint, max(done)) if done else 0

    def killable(done: int) -> Callable[[], bool]:
        """Once ``done`` batches are committed and the next is in flight (or all published is read)."""
        return lambda: len(committed()) >= done and (bool(in_flight(checkpoint)) or read_so_far() >= published)

    stream = None
    try:
        # Run 1: half the day in the topic; SIGKILL with a batch in flight.
        for _ in range(CHUNKS // 2):
            published += publish(replayer, send, topic)
        started = time.monotonic()
        stream = StreamProcess(args, tmp_path, stream_env(tracking_uri), 1)
        stream.wait_for(killable(2), "a batch in flight after 2 committed")
        stream.kill()
        killed = dict(after_s=round(time.monotonic() - started), committed=len(committed()),
                      interrupted=sorted(in_flight(checkpoint)), records_committed=read_so_far(), published=published)
        # Run 2, from the same checkpoint: it redoes the interrupted batch, then the broker goes away while
        # the next is in flight (a course broker only: an external cluster is not the course's to restart).
        at_start = len(committed())
        stream = StreamProcess(args, tmp_path, stream_env(tracking_uri), 2)
        restarted = {}
        if isinstance(broker, KafkaBroker):
            stream.wait_for(killable(at_start + 1), "a batch in flight after the replayed one")
            stopped_at = time.monotonic()
            restarted = dict(in_flight=sorted(in_flight(checkpoint)), committed_before=len(committed()))
            broker.restart()
            restarted["down_s"] = round(time.monotonic() - stopped_at, 1)
            assert broker.running, f"the broker did not come back:\n{broker.log}"
        while sent := publish(replayer, send, topic):  # the rest of the day arrives while it runs
            published += sent
        for value in bad.values():
            send.produce(topic, value=value)
        assert send.flush(120) == 0, "the two bad records were not acknowledged"
        assert published == len(events)
        stream.wait_for(lambda: delta_rows(output) >= len(events) and delta_rows(quarantine) >= len(bad),
                        "every event scored after the restarts")
        time.sleep(2)  # two more triggers: a batch scored twice would be committed by now
        assert stream.process.poll() is None, f"the stream ended on its own:\n{stream.tail()}"
        os.kill(stream.process.pid, signal.SIGTERM)  # a clean stop, as a service manager asks for one
        stream.process.wait(timeout=120)
        assert stream.process.returncode == 0, f"SIGTERM should stop the stream cleanly:\n{stream.tail()}"
    finally:
        if stream is not None:
            stream.kill()
    print("killed:", killed, "broker restart:", restarted, "batches:", len(committed()))

    assert killed["interrupted"], f"the kill did not land while a batch was in flight, so no replay was tested: {killed}"
    assert read_so_far() == len(events) + len(bad), "the last committed batch should end at the topic's end"
    assert_scored_exactly_once(spark, output, events, logged)
    held = spark.read.format("delta").load(str(quarantine)).toPandas()
    assert sorted(held["reason"]) == sorted(bad), f"quarantine holds {held[['reason', KEY]].to_dict('records')}"
    assert held.set_index("reason").loc["malformed", "raw"] == bad["malformed"].decode(), (
        "a value that is not JSON should be kept as its text")


@pytest.mark.parametrize("argv", [
    ["--events", "e", "--kafka-bootstrap-servers", "h:9092", "--kafka-topic", "t"],  # two sources
    ["--kafka-bootstrap-servers", "h:9092"],  # no topic
    ["--events", "e", "--kafka-topic", "t"],  # a topic with the file source
    ["--kafka-bootstrap-servers", "h:9092", "--kafka-topic", "t", "--max-files-per-trigger", "2"],
    ["--events", "e", "--max-offsets-per-trigger", "100"],
    [],  # no source at all
])
def test_cli_refuses_mixed_or_missing_sources(argv, capsys):
    from mldeploy.scoring_stream import parse_args

    with pytest.raises(SystemExit) as exit_:
        parse_args([*argv, "--output", "o", "--checkpoint", "c", "--model-uri", "models:/m/1"])
    assert exit_.value.code == 2
    assert "--" in capsys.readouterr().err


def test_cli_reads_kafka_options():
    from mldeploy.scoring_stream import parse_args

    args = parse_args(["--kafka-bootstrap-servers", "127.0.0.1:9092", "--kafka-topic", "departures", "--output", "o",
                       "--checkpoint", "c", "--model-uri", "models:/m@champion", "--max-offsets-per-trigger", "500"])
    assert (args.events, args.kafka_bootstrap_servers, args.kafka_topic) == (None, "127.0.0.1:9092", "departures")
    assert (args.max_offsets_per_trigger, args.starting_offsets, args.available_now) == (500, "earliest", False)
