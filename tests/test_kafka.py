"""The course's Kafka broker (``mldeploy.kafka``) and the replay to a topic: real broker, real records.

The broker tests share one broker (the ``kafka_broker`` fixture, ~8 s to start) and each uses topics of
its own; the command-line test starts a second one in its own folder, as a learner's terminal would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pandas as pd
import pytest

from mldeploy import EventReplayer, KafkaSetupError, start_kafka
from mldeploy.kafka import BOOTSTRAP_VARIABLE, ExternalKafka, KafkaBroker, cluster_id, server_properties
from mldeploy.replay import event_records

from kafka_helpers import create_topic, read_topic


def flight_events(count: int = 300) -> pd.DataFrame:
    times = pd.date_range("2013-07-01 05:00", periods=count, freq="37s", tz="UTC")
    return pd.DataFrame({"flight_id": range(1000, 1000 + count), "carrier": ["UA", "AA", "DL"] * (count // 3),
                         "event_time": times})


# --- without a broker ---------------------------------------------------------------------------------------


def test_server_properties_keep_the_broker_on_loopback_and_old_events_alive(tmp_path):
    text = server_properties(tmp_path, 9092, 9093)
    assert "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093" in text
    assert "advertised.listeners=PLAINTEXT://127.0.0.1:9092" in text
    assert "log.retention.ms=-1" in text, "events stamped 2013 would be deleted on arrival"
    assert f"log.dirs={tmp_path}" in text


def test_bootstrap_variable_points_everything_at_an_existing_cluster(monkeypatch, tmp_path):
    monkeypatch.setenv(BOOTSTRAP_VARIABLE, "kafka.example:9092")
    broker = start_kafka(tmp_path / "unused")
    assert isinstance(broker, ExternalKafka)
    assert broker.bootstrap_servers == "kafka.example:9092"
    broker.stop()  # nothing to stop, and no error
    assert not (tmp_path / "unused").exists(), "no local broker was started"
    with pytest.raises(KafkaSetupError, match="restart it with its own tools"):
        broker.restart()


def test_missing_java_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    with pytest.raises(KafkaSetupError, match="The Kafka broker needs Java.*openjdk-17"):
        KafkaBroker(tmp_path / "kafka")


def test_a_taken_port_is_a_clear_error(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(KafkaSetupError, match=f"Port {port} .* is taken by another program.*start_kafka()"):
            KafkaBroker(tmp_path / "kafka", port=port)


def test_cluster_ids_never_look_like_an_option():
    ids = [cluster_id() for _ in range(2000)]  # about 1 in 64 random ids would start with "-"
    assert all(len(value) == 22 and not value.startswith("-") for value in ids)


def test_event_records_carry_key_json_value_and_event_time():
    events = flight_events(3)
    records = event_records(events)
    assert [record["key"] for record in records] == ["1000", "1001", "1002"]
    assert json.loads(records[1]["value"]) == {"flight_id": 1001, "carrier": "AA", "event_time": "2013-07-01T05:00:37Z"}
    assert records[1]["timestamp"] == int(pd.Timestamp("2013-07-01 05:00:37", tz="UTC").timestamp() * 1000)


# --- on a live broker ---------------------------------------------------------------------------------------


def test_replay_publishes_every_event_once_keyed_and_stamped(kafka_broker, tmp_path):
    bootstrap = kafka_broker.bootstrap_servers
    topic = create_topic(bootstrap, partitions=2)
    replayer = EventReplayer(flight_events(), tmp_path, events_per_file=40, late_share=0.1, max_delay="20min")
    assert replayer.publish_all(bootstrap, topic) == 300
    assert replayer.publish_all(bootstrap, topic) == 0, "a finished replay sends nothing more"

    records = read_topic(bootstrap, topic, expected=300)
    assert len(records) == 300
    values = [json.loads(record.value()) for record in records]
    assert sorted(value["flight_id"] for value in values) == list(range(1000, 1300))
    for record, value in zip(records, values):
        assert record.key().decode() == str(value["flight_id"])
        assert record.timestamp()[1] == pd.Timestamp(value["event_time"]).value // 1_000_000
    # One flight's events share a partition; within a partition the order is the replay's emission order.
    emitted = [str(key) for key in replayer.plan["flight_id"]]
    for partition in {record.partition() for record in records}:
        keys = [record.key().decode() for record in sorted(records, key=lambda r: r.offset())
                if record.partition() == partition]
        assert keys == [key for key in emitted if key in set(keys)]
    assert replayer.summary().out_of_order > 0, "the replay is out of order on purpose"


def test_restart_keeps_the_port_and_every_record(tmp_path):
    with start_kafka(tmp_path / "kafka") as broker:
        topic = create_topic(broker.bootstrap_servers, partitions=1)
        EventReplayer(flight_events(30), tmp_path).publish_all(broker.bootstrap_servers, topic)
        address = broker.bootstrap_servers
        broker.restart()
        assert broker.running and broker.bootstrap_servers == address
        assert len(read_topic(address, topic, expected=30)) == 30
    assert not broker.running


def test_command_line_start_status_stop(tmp_path):
    def kafka(*args: str) -> subprocess.CompletedProcess:
        env = {key: value for key, value in os.environ.items() if key != BOOTSTRAP_VARIABLE}
        return subprocess.run([sys.executable, "-m", "mldeploy", "kafka", *args, "--dir", str(tmp_path)],
                              capture_output=True, text=True, timeout=180, env=env)

    assert kafka("status").returncode == 3
    started = kafka("start")
    assert started.returncode == 0, started.stderr
    try:
        status = kafka("status")
        assert status.returncode == 0 and "bootstrap servers 127.0.0.1:" in status.stdout
        address = status.stdout.split("bootstrap servers ")[1].split()[0]
        topic = create_topic(address, partitions=1)  # the broker outlived the command that started it
        assert topic
        assert "already running" in kafka("start").stdout
    finally:
        stopped = kafka("stop")
    assert "stopped" in stopped.stdout
    assert kafka("status").returncode == 3
