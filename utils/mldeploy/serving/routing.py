"""Which served model answers a request: a weighted draw, reproducible from a seed.

A canary at 5% must be checkable: with ``traffic_seed`` set, the same sequence of requests goes to the same
served models on every run, so a test (or a learner) can count the split and compare it with the config.
Each endpoint config gets its own ``random.Random``; a lock keeps draws from concurrent requests apart.
"""

from __future__ import annotations

import bisect
import random
import threading


class TrafficRouter:
    """Draws a served model name with the probability its ``traffic_percentage`` gives."""

    def __init__(self, routes: dict[str, int], seed: int | None = None) -> None:
        self._names = [name for name, percent in routes.items() if percent > 0]
        self._bounds: list[int] = []
        total = 0
        for name in self._names:
            total += routes[name]
            self._bounds.append(total)
        if total != 100:
            raise ValueError(f"traffic percentages sum to {total}, not 100")
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def choose(self) -> str:
        """The served model for the next request."""
        if len(self._names) == 1:
            return self._names[0]
        with self._lock:
            draw = self._random.randrange(100)
        return self._names[bisect.bisect_right(self._bounds, draw)]
