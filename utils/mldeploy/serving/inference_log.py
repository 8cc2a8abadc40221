"""The inference log: every request and its answer, appended to JSON-lines files off the request path.

Databricks writes an endpoint's traffic to an *inference table*; the course writes it to a folder of JSON-lines
files with the same columns (``request_id``, ``timestamp_ms``, ``date``, ``status_code``,
``execution_time_ms``, ``request``, ``response``, ``served_model_name``...). A folder of JSON lines reads
directly with ``spark.read.json(folder)`` (also as a streaming file source) and with ``read_inference_log``
(pandas) — SQLite would need a JDBC driver on the Spark side.

The request path only puts a dict on a queue; one background thread writes. Each write is a new file,
written under a hidden name and renamed when complete, so a reader (pandas, or a Spark stream) never sees a
half-written file. ``request`` and ``response`` are JSON *strings*, as in Databricks' tables, so every model's
rows share one schema.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import threading
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

#: Columns of every row, in order (pandas and Spark readers can rely on them).
COLUMNS = ("request_id", "client_request_id", "timestamp_ms", "date", "endpoint_name", "served_model_name",
           "model_uri", "config_version", "role", "status_code", "execution_time_ms", "request", "response",
           "error", "requester")


class InferenceLog:
    """Append-only log of requests, written by a background thread; ``flush()`` waits for pending rows."""

    def __init__(self, folder: str | os.PathLike[str] | None, flush_seconds: float = 1.0,
                 max_queue: int = 100_000,
                 on_written: Callable[[str, list[dict[str, Any]]], None] | None = None) -> None:
        # on_written(file name, rows): called on the writer thread once a file is in place (the Delta inference
        # table appends there, so the JSON-lines file is its write-ahead log).
        self._on_written = on_written
        self.folder = None if folder is None else Path(folder)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._flush_seconds = flush_seconds
        self._sequence = itertools.count()
        self.dropped = 0
        self._thread: threading.Thread | None = None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._thread = threading.Thread(target=self._run, name="inference-log", daemon=True)
            self._thread.start()

    def append(self, row: dict[str, Any]) -> None:
        """Queue one row; never blocks the request (a full queue drops the row and counts it)."""
        if self._thread is None:
            return
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            self.dropped += 1

    def flush(self, timeout: float = 10.0) -> bool:
        """Write every row queued so far; True once they are on disk."""
        if self._thread is None:
            return True
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self) -> None:
        """Write what is pending and stop the writer."""
        if self._thread is not None:
            self.flush()
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _run(self) -> None:
        pending: list[dict[str, Any]] = []
        deadline = time.monotonic() + self._flush_seconds
        while True:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                item = "tick"
            if isinstance(item, dict):
                pending.append(item)
            now = time.monotonic()
            # Write on a flush request, on stop, once a second, or when a batch is large: few files, fresh enough.
            if pending and (not isinstance(item, dict) or now >= deadline or len(pending) >= 5000):
                self._write(pending)
                pending = []
            if now >= deadline:
                deadline = now + self._flush_seconds
            if isinstance(item, threading.Event):
                item.set()
            elif item is None:
                return

    def _write(self, rows: list[dict[str, Any]]) -> None:
        name = f"part-{time.time_ns()}-{os.getpid()}-{next(self._sequence):06d}.jsonl"
        hidden = self.folder / f".{name}.tmp"  # Spark and read_inference_log skip names starting with "."
        try:
            with open(hidden, "w", encoding="utf-8") as out:
                for row in rows:
                    out.write(json.dumps({column: row.get(column) for column in COLUMNS}, default=str))
                    out.write("\n")
            os.replace(hidden, self.folder / name)
        except OSError as error:  # a full disk must not take the server down; say so in its log
            print(f"inference log: could not write {len(rows)} rows to {self.folder}: {error}", flush=True)
            return
        if self._on_written is not None:
            self._on_written(name, rows)


def read_inference_log(folder: str | os.PathLike[str]):
    """Every row of an inference-log folder as a pandas DataFrame, oldest first (empty when there is none)."""
    import pandas as pd

    files = sorted(Path(folder).glob("part-*.jsonl"))
    text = {"request": "string", "response": "string", "client_request_id": "string"}  # ids like "42" stay strings
    frames = [pd.read_json(path, lines=True, dtype=text, convert_dates=False, keep_default_dates=False) for path in files
              if path.stat().st_size]
    if not frames:
        return pd.DataFrame(columns=list(COLUMNS))
    log = pd.concat(frames, ignore_index=True).sort_values("timestamp_ms", kind="stable").reset_index(drop=True)
    # A failed request has no response (JSON null): None, as the lessons say (dtype=str made it the text "None").
    for column in ("request", "response"):
        log[column] = log[column].astype(object).where(log[column].notna(), None)
    return log
