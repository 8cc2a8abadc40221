"""Replay flights as a stream of events -- JSON files or Kafka records -- with some late and out of order.

Real streams do not arrive in event-time order. ``EventReplayer`` puts a table of flights in *emission*
order: most events are emitted as they happen, but a fixed share (``late_share``) is held back by up to
``max_delay`` and so lands in a later batch, after events that happened after it. The same seed always
gives the same order, so a lesson can say exactly how many events a watermark should drop.

Each batch becomes either a numbered JSON-lines file (``write_next``), which appears atomically (written
under a dot-name, then renamed) so a streaming reader never sees half a file, or a run of Kafka records
(``publish_next``): the same JSON per event as the record's value, the flight id as its key (so one
flight's events stay in one partition, in order) and the event time as the record's timestamp.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .features import KEY, RAW_COLUMNS


#: The event files' columns and types, as Spark DDL: a stream must be told its schema up front
#: (``spark.readStream.schema(EVENT_SCHEMA).json(folder)``), since it cannot scan files that do not exist yet.
EVENT_SCHEMA = (
    "flight_id BIGINT, year INT, month INT, day INT, sched_dep_time INT, carrier STRING, origin STRING, "
    "dest STRING, distance DOUBLE, tailnum STRING, event_time TIMESTAMP"
)


@dataclass(frozen=True)
class ReplaySummary:
    """What a replay will write: counts a lesson can check its stream against."""

    events: int
    files: int
    delayed: int
    out_of_order: int


class EventReplayer:
    """Write ``events`` (one row each) as JSON-lines files in ``folder``, in emission order.

    ``time_column`` holds each event's event time. Call ``write_next()`` to release one file at a
    time (for a live-looking stream), or ``write_all()``.
    """

    def __init__(
        self,
        events: pd.DataFrame,
        folder: str | Path,
        *,
        time_column: str = "event_time",
        events_per_file: int = 200,
        late_share: float = 0.05,
        max_delay: str | pd.Timedelta = "30min",
        seed: int = 2013,
    ) -> None:
        if not 0 <= late_share <= 1:
            raise ValueError(f"late_share must be between 0 and 1, got {late_share}")
        if events_per_file < 1:
            raise ValueError(f"events_per_file must be at least 1, got {events_per_file}")
        self.folder = Path(folder)
        self.time_column = time_column
        self.events_per_file = events_per_file
        self.plan = plan_emission(events, time_column, late_share, pd.Timedelta(max_delay), seed)
        self._next_file = 0
        self._last_mtime_ns = 0

    @property
    def files(self) -> int:
        """How many files the whole replay writes."""
        return -(-len(self.plan) // self.events_per_file)

    def summary(self) -> ReplaySummary:
        return ReplaySummary(
            events=len(self.plan),
            files=self.files,
            delayed=int((self.plan["emit_delay"] > pd.Timedelta(0)).sum()),
            out_of_order=int(self.plan["out_of_order"].sum()),
        )

    def delayed_beyond(self, lateness: str | pd.Timedelta) -> int:
        """How many events are emitted more than ``lateness`` after their event time."""
        return int((self.plan["emit_delay"] > pd.Timedelta(lateness)).sum())

    def _take_batch(self) -> pd.DataFrame | None:
        """The next ``events_per_file`` events in emission order (``None`` when none are left), and move on."""
        if self._next_file >= self.files:
            return None
        start = self._next_file * self.events_per_file
        self._next_file += 1
        return self.plan.iloc[start : start + self.events_per_file].drop(columns=["emit_delay", "out_of_order"])

    def write_next(self) -> Path | None:
        """Write the next file; ``None`` once every event has been written."""
        index = self._next_file
        batch = self._take_batch()
        if batch is None:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"events-{index:05d}.json"
        partial = self.folder / f".{final.name}.partial"
        batch.to_json(partial, orient="records", lines=True, date_format="iso", date_unit="s")
        os.replace(partial, final)
        # Spark's file source takes new files in modification-time order, to the millisecond; files written
        # within one millisecond would tie and be read in listing order. Keep emission order unambiguous.
        stamp = max(time.time_ns(), self._last_mtime_ns + 1_000_000)
        os.utime(final, ns=(stamp, stamp))
        self._last_mtime_ns = stamp
        return final

    def publish_next(self, producer, topic: str) -> int:
        """Send the next batch to ``topic`` with a confluent-kafka ``producer`` and wait until the broker has it.

        Returns how many records were sent (0 once every event is out). ``flush`` makes the batch one step:
        when this returns, every record of it is on the broker, or an error has been raised.
        """
        batch = self._take_batch()
        if batch is None:
            return 0
        failures: list[str] = []

        def delivered(error, message) -> None:
            if error is not None:
                failures.append(f"{message.key()!r}: {error}")

        for record in event_records(batch, self.time_column):
            producer.produce(topic, on_delivery=delivered, **record)
        remaining = producer.flush(60)
        if failures or remaining:
            raise RuntimeError(f"{len(failures) + remaining} of {len(batch)} events did not reach {topic!r}: "
                               f"{failures[:3]} -- is the broker running (`python -m mldeploy kafka status`)?")
        return len(batch)

    def publish_all(self, bootstrap_servers: str, topic: str, pause_seconds: float = 0.0) -> int:
        """Send every remaining batch to ``topic``, pausing between batches if asked; returns the records sent.

        The producer is idempotent (``enable.idempotence``): a retry after a lost acknowledgement never
        writes an event twice.
        """
        from confluent_kafka import Producer

        # log_level 3: librdkafka's warnings (such as "coordinator load in progress" from a broker that has just
        # started, which it retries by itself) stay out of notebook cells; errors still print, and raise below.
        producer = Producer({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, "linger.ms": 5,
                             "log_level": 3})
        sent = 0
        while (count := self.publish_next(producer, topic)):
            sent += count
            if pause_seconds:
                time.sleep(pause_seconds)
        return sent

    def write_all(self, pause_seconds: float = 0.0) -> list[Path]:
        """Write every remaining file, pausing between files if asked."""
        written = []
        while (path := self.write_next()) is not None:
            written.append(path)
            if pause_seconds:
                time.sleep(pause_seconds)
        return written


def event_records(batch: pd.DataFrame, time_column: str = "event_time") -> list[dict]:
    """Keyword arguments for ``Producer.produce``, one per event: key, JSON value and timestamp (ms).

    The value is the same JSON line an event file holds (``EVENT_SCHEMA`` reads both); the timestamp is the
    event time, so a consumer (or Spark's ``timestamp`` column) sees when the event happened.
    """
    lines = batch.to_json(orient="records", lines=True, date_format="iso", date_unit="s").splitlines()
    stamps = (pd.to_datetime(batch[time_column], utc=True) - pd.Timestamp(0, tz="UTC")) // pd.Timedelta("1ms")
    return [{"key": str(key), "value": line, "timestamp": int(stamp)}
            for key, line, stamp in zip(batch[KEY], lines, stamps)]


def departure_events(flights: pd.DataFrame) -> pd.DataFrame:
    """One departure event per flight (rows of the lake's ``flights`` table): key, raw fields, event time."""
    return flights[[KEY, *RAW_COLUMNS, "tailnum"]].assign(event_time=flights["sched_dep_ts"])


def plan_emission(
    events: pd.DataFrame, time_column: str, late_share: float, max_delay: pd.Timedelta, seed: int
) -> pd.DataFrame:
    """Order events as they will be emitted, marking which are delayed and which out of order.

    Exactly ``round(late_share * len(events))`` events get a delay drawn uniformly from one minute
    to ``max_delay``; the rest are emitted at their event time.
    """
    ordered = events.copy()
    ordered[time_column] = pd.to_datetime(ordered[time_column], utc=True)
    ordered = ordered.sort_values(time_column, kind="stable").reset_index(drop=True)
    rng = np.random.default_rng(seed)
    late = rng.choice(len(ordered), size=round(late_share * len(ordered)), replace=False)
    minutes = max(max_delay / pd.Timedelta("1min"), 1.0)
    delay = np.zeros(len(ordered), dtype="timedelta64[ns]")
    delay[late] = pd.to_timedelta(rng.uniform(1.0, minutes, size=len(late)), unit="min").to_numpy()
    ordered["emit_delay"] = delay
    emitted = (
        ordered.assign(_emit_at=ordered[time_column] + ordered["emit_delay"])
        .sort_values(["_emit_at", time_column], kind="stable")
        .drop(columns="_emit_at")
        .reset_index(drop=True)
    )
    newest_before = emitted[time_column].cummax().shift(1)
    emitted["out_of_order"] = emitted[time_column] < newest_before
    return emitted
