"""Topics and reads for the tests that use a Kafka broker (tests/test_kafka*.py, tests/test_serving_events.py)."""

from __future__ import annotations

import time
import uuid


def create_topic(bootstrap_servers: str, prefix: str = "test", partitions: int = 1) -> str:
    """A new topic that never deletes records (``retention.ms=-1``: the course's events are stamped 2013); its name."""
    from confluent_kafka.admin import AdminClient, NewTopic

    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})  # kept alive until the topic exists
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1,
                                            config={"retention.ms": "-1"})], request_timeout=60)
    futures[name].result(timeout=60)
    return name


def read_topic(bootstrap_servers: str, topic: str, expected: int, timeout: float = 60) -> list:
    """Every record of ``topic`` from the start (a new consumer group), waiting (bounded) for ``expected`` of them,
    then one more second, so that a duplicate would show."""
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": f"reader-{uuid.uuid4().hex[:8]}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    records, deadline = [], time.monotonic() + timeout
    try:
        while len(records) < expected and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                records.append(message)
        settle = time.monotonic() + 1.0
        while time.monotonic() < settle:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                records.append(message)
    finally:
        consumer.close()
    return records
