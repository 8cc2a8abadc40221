"""Shadow traffic: a copy of each request scored by the shadow models after the caller has its answer.

A shadow must never slow down or break the live answer, so copies go on a bounded queue that one background
thread works through; when the queue is full the copy is dropped (and counted) rather than making the live
request wait.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any


class ShadowWorker:
    """Runs ``score(job)`` for each submitted job on one background thread."""

    def __init__(self, score: Callable[[Any], None], on_drop: Callable[[], None], max_queue: int = 1000) -> None:
        self._score = score
        self._on_drop = on_drop
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._thread = threading.Thread(target=self._run, name="shadow-scoring", daemon=True)
        self._thread.start()

    def submit(self, job: Any) -> None:
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            self._on_drop()

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every job submitted so far is scored."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if isinstance(job, threading.Event):
                job.set()
                continue
            try:
                self._score(job)
            except Exception as error:  # a broken shadow is logged by score(); nothing may stop this thread
                print(f"shadow scoring failed: {type(error).__name__}: {error}", flush=True)
