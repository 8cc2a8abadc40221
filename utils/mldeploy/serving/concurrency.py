"""Provisioned concurrency: how many requests a served entity scores at once, a short queue, then 429.

Databricks sizes each served entity in *provisioned concurrency*: "a single unit of provisioned concurrency can
process one request at a time", and ``workload_size`` names a range of it, Small 4-4, Medium 8-16, Large 16-64
(``ServedEntityInput.workload_size`` in the serving-endpoints API); ``min_provisioned_concurrency`` and
``max_provisioned_concurrency`` set the range directly, never together with a workload size. A replica with
more requests in progress than its concurrency answers 429 "Too many concurrent requests", and under a burst a
queue forms first (Databricks, "Fix slow requests on Model Serving endpoints").

On one laptop the endpoint is always scaled up, so the limit is the top of the range. A served entity with a
size scores at most ``limit`` requests at once, each on a worker thread (a model waiting on I/O, such as a
feature lookup, lets the next one run), holds ``queue`` more waiting, and refuses the rest at once with 429 and
``Retry-After: 1``. A served entity without a size keeps the course's fastest path: scored on the event loop,
one at a time, never refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from .config import ConfigError
from .scoring import RequestError

T = TypeVar("T")
#: Databricks' workload sizes: (lowest, highest) provisioned concurrency. Scale-to-zero lowers the first to 0.
WORKLOAD_SIZES = {"Small": (4, 4), "Medium": (8, 16), "Large": (16, 64)}
_SIZES_BY_CASE = {size.lower(): size for size in WORKLOAD_SIZES}


def concurrency_limit(spec: dict[str, Any], where: str) -> tuple[int, str] | None:
    """A served entity's concurrency limit and where it comes from, or None when it sets neither a size nor a range.

    ``spec`` is the served entity as the config gives it; ``where`` names it in a ConfigError.
    """
    size = spec.get("workload_size")
    low, high = spec.get("min_provisioned_concurrency"), spec.get("max_provisioned_concurrency")
    if size is not None and (low is not None or high is not None):
        raise ConfigError(f"{where}: give workload_size or min/max_provisioned_concurrency, not both (Databricks "
                          "refuses the pair too).")
    if size is not None:
        known = _SIZES_BY_CASE.get(size.lower()) if isinstance(size, str) else None
        if known is None:
            raise ConfigError(f"{where}: workload_size {size!r} is not a size: use one of {sorted(WORKLOAD_SIZES)} "
                              "(4, 8-16 and 16-64 requests at once), or min/max_provisioned_concurrency.")
        return WORKLOAD_SIZES[known][1], f"workload_size {known}"
    if low is None and high is None:
        return None
    for name, value in (("min_provisioned_concurrency", low), ("max_provisioned_concurrency", high)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise ConfigError(f"{where}: {name} must be a whole number of concurrent requests, not {value!r}.")
    if high is None or high < 1 or (low or 0) > high:
        raise ConfigError(f"{where}: max_provisioned_concurrency must be at least 1 and at least "
                          f"min_provisioned_concurrency (given min {low!r}, max {high!r}).")
    return high, f"max_provisioned_concurrency {high}"


class ConcurrencyGate:
    """One served entity's capacity: ``limit`` requests running, ``queue`` waiting; ``run`` refuses beyond that.

    ``admitted`` is counted on the event loop only (admission is decided before the first await, so two
    requests cannot both take the last place); ``running`` and ``peak`` are counted by the worker threads.
    """

    def __init__(self, limit: int, queue: int, label: str, source: str) -> None:
        self.limit = limit
        self.queue = queue
        self.label = label  # "served model 'champion' of endpoint 'delays'", for messages
        self.source = source  # "workload_size Small", for messages
        self.refused = 0
        self.peak = 0
        self._admitted = 0
        self._running = 0
        self._lock = threading.Lock()
        self._threads = CapacityLimiter(limit)

    @property
    def in_flight(self) -> int:
        """Requests being scored right now."""
        return self._running

    @property
    def queued(self) -> int:
        """Requests admitted and waiting for a place."""
        return max(0, self._admitted - self._running)

    async def run(self, score: Callable[..., T], *args: Any) -> T:
        """``score(*args)`` on a worker thread once a place is free; RequestError 429 when the queue is full too."""
        if self._admitted >= self.limit + self.queue:
            self.refused += 1
            raise RequestError(
                429, "REQUEST_LIMIT_EXCEEDED",
                f"Too many concurrent requests: {self.label} scores {self.limit} at once ({self.source}) and "
                f"{self.queue} more are already waiting. Retry after a moment (with backoff), send fewer requests "
                "at once, or raise workload_size / max_provisioned_concurrency.",
                headers={"Retry-After": "1"})
        self._admitted += 1
        try:
            return await anyio.to_thread.run_sync(self._counted, score, *args, limiter=self._threads)
        finally:
            self._admitted -= 1

    def _counted(self, score: Callable[..., T], *args: Any) -> T:
        with self._lock:
            self._running += 1
            self.peak = max(self.peak, self._running)
        try:
            return score(*args)
        finally:
            with self._lock:
                self._running -= 1
