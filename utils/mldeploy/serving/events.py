"""Prediction events: the server publishes one Kafka record per answered request, for other services to read.

A web service answers the caller; other parts of a business also want to know that a prediction was made
(a job that re-estimates arrival times, an alerting service, an audit). Rather than each of them calling the
endpoint, the endpoint publishes an event and each reader consumes the topic in its own consumer group, at
its own pace. Optional, set in the server config::

    {"endpoints": [...], "events": {"bootstrap_servers": "127.0.0.1:9092", "topic": "predictions"}}

The record's key is the request's ``client_request_id`` (else the server's ``request_id``), so a reader can
deduplicate; its value is JSON. Publishing never blocks or fails a request: ``produce`` only queues the
record, and a delivery error is counted in ``failed`` and printed to the server's log.
"""

from __future__ import annotations

import json
from typing import Any

from .config import ConfigError

#: The fields of an event, beside the model's predictions.
FIELDS = ("request_id", "client_request_id", "timestamp_ms", "endpoint_name", "served_model_name", "model_uri")


def check_events_config(raw: Any) -> dict[str, str] | None:
    """The ``events`` server setting, checked: ``{"bootstrap_servers": ..., "topic": ...}`` or None."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), str) and raw[k] for k in ("bootstrap_servers", "topic")):
        raise ConfigError("The server setting events must be {\"bootstrap_servers\": \"127.0.0.1:9092\", "
                          f"\"topic\": \"predictions\"}}, not {raw!r}.")
    if unknown := sorted(set(raw) - {"bootstrap_servers", "topic"}):
        raise ConfigError(f"Unknown key(s) {unknown} in the events setting: it takes bootstrap_servers and topic.")
    return {"bootstrap_servers": raw["bootstrap_servers"], "topic": raw["topic"]}


class EventPublisher:
    """One Kafka producer for the server's lifetime; ``publish`` queues, ``close`` flushes."""

    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        from confluent_kafka import Producer

        self.topic = topic
        self.published = 0
        self.failed = 0
        self._producer: Any = Producer({"bootstrap.servers": bootstrap_servers, "linger.ms": 5, "acks": "all",
                                   "enable.idempotence": True})

    def publish(self, row: dict[str, Any], answer: str) -> None:
        """Queue the event of one answered request (``row``: its inference-log row; ``answer``: the JSON sent)."""
        if self._producer is None:  # closed: the server is shutting down
            return
        event = {field: row.get(field) for field in FIELDS}
        event["predictions"] = json.loads(answer).get("predictions")
        key = row.get("client_request_id") or row["request_id"]
        try:
            self._producer.produce(self.topic, key=str(key), value=json.dumps(event, default=str),
                                   timestamp=int(row["timestamp_ms"]), on_delivery=self._delivered)
            self.published += 1
        except BufferError:  # the local queue is full: drop this event rather than slow the request
            self.failed += 1
        self._producer.poll(0)  # serve delivery reports of earlier events, without waiting

    def _delivered(self, error: Any, _message: Any) -> None:
        if error is not None:
            self.failed += 1
            print(f"prediction events: a record to {self.topic!r} was not delivered: {error}", flush=True)

    def close(self, timeout: float = 10.0) -> int:
        """Deliver what is queued (at most ``timeout`` seconds), then let the producer go; how many remain undelivered.

        Dropping the producer closes its connections now, so a broker stopped later finds no client retrying.
        """
        if self._producer is None:
            return 0
        remaining = self._producer.flush(timeout)
        self._producer = None
        return remaining
