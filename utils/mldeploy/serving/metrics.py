"""Per served model: requests, errors and latency percentiles, in Prometheus' text format.

Prometheus' Python client has no quantiles for summaries, and an SLA is written in p50/p95/p99, so latencies
are kept in a bounded window per served model (the latest ``window`` requests) and the percentiles computed
when ``/metrics`` is read: a scrape costs a sort, a request costs an append.

``CapacityCollector`` adds, per served model with a concurrency limit, the requests in flight and queued now,
the most ever in flight, the limit, and the requests refused (429); per endpoint the calls refused by a rate
limit; and per scale-to-zero served model whether it is in memory and how often it left and came back. It
reads the gates', the rate limiter's and the scaler's own counts when scraped: the request path counts nothing
twice.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric

QUANTILES = (0.5, 0.95, 0.99)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _Series:
    """The counts and recent latencies of one (endpoint, served model) pair."""

    def __init__(self, window: int) -> None:
        self.requests = 0
        self.errors = 0
        self.seconds = 0.0
        self.latencies: deque[float] = deque(maxlen=window)


class ServingMetrics:
    """Thread-safe counters fed by the request path and the shadow worker, read by ``render()``."""

    def __init__(self, window: int = 10_000) -> None:
        self._window = window
        self._series: dict[tuple[str, str, str], _Series] = {}
        self._lock = threading.Lock()
        self.shadow_dropped = 0
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(self)

    def observe(self, endpoint: str, served_model: str, role: str, status: int, seconds: float) -> None:
        """Count one request; ``role`` is "live" or "shadow"; a status >= 400 is an error."""
        key = (endpoint, served_model, role)
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = _Series(self._window)
            series.requests += 1
            series.errors += status >= 400
            series.seconds += seconds
            series.latencies.append(seconds)

    def snapshot(self) -> dict[tuple[str, str, str], dict[str, float]]:
        """(endpoint, served model, role) -> requests, errors, p50, p95, p99 (seconds), for Python callers."""
        with self._lock:
            copies = {key: (s.requests, s.errors, sorted(s.latencies)) for key, s in self._series.items()}
        return {key: {"requests": requests, "errors": errors,
                      **{f"p{round(q * 100)}": _quantile(values, q) for q in QUANTILES}}
                for key, (requests, errors, values) in copies.items()}

    def collect(self) -> Iterator[Metric]:
        """Called by prometheus_client when the registry is rendered."""
        requests = Metric("mldeploy_serving_requests", "Requests answered, per served model.", "counter")
        errors = Metric("mldeploy_serving_errors", "Requests answered with a 4xx or 5xx status.", "counter")
        latency = Metric("mldeploy_serving_latency_seconds",
                         f"Server-side latency; quantiles over the latest {self._window} requests.", "summary")
        dropped = Metric("mldeploy_serving_shadow_dropped", "Shadow copies dropped because the shadow queue was full.",
                         "counter")
        with self._lock:
            items = [(key, s.requests, s.errors, s.seconds, sorted(s.latencies)) for key, s in self._series.items()]
            dropped.add_sample("mldeploy_serving_shadow_dropped_total", {}, self.shadow_dropped)
        for (endpoint, served, role), count, failed, total, values in items:
            labels = {"endpoint": endpoint, "served_model": served, "role": role}
            requests.add_sample("mldeploy_serving_requests_total", labels, count)
            errors.add_sample("mldeploy_serving_errors_total", labels, failed)
            for q in QUANTILES:
                latency.add_sample("mldeploy_serving_latency_seconds", {**labels, "quantile": str(q)},
                                   _quantile(values, q))
            latency.add_sample("mldeploy_serving_latency_seconds_count", labels, count)
            latency.add_sample("mldeploy_serving_latency_seconds_sum", labels, total)
        yield from (requests, errors, latency, dropped)

    def register(self, collector: Any) -> None:
        """Render ``collector``'s metrics too (anything with a ``collect()`` yielding Metric objects)."""
        self._registry.register(collector)

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self._registry)


class CapacityCollector:
    """Concurrency gauges, refusal counts and scale-to-zero state, read from three sources at each scrape.

    ``gates()`` yields (endpoint, served model, gate) with the gate's ``in_flight``, ``queued``, ``peak``,
    ``limit``, ``queue`` and ``refused``; ``rate_limited()`` maps (endpoint, key) to calls refused;
    ``scaling()`` yields (endpoint, served model, in memory, times unloaded, times loaded again).
    """

    def __init__(self, gates: Callable[[], Iterable[tuple[str, str, Any]]],
                 rate_limited: Callable[[], dict[tuple[str, str], int]],
                 scaling: Callable[[], Iterable[tuple[str, str, bool, int, int]]] = list) -> None:
        self._gates = gates
        self._rate_limited = rate_limited
        self._scaling = scaling

    def collect(self) -> Iterator[Metric]:
        families = {
            "in_flight": Metric("mldeploy_serving_in_flight", "Requests being scored now (served models with a "
                                "concurrency limit).", "gauge"),
            "queued": Metric("mldeploy_serving_queued", "Requests waiting for a place to be scored.", "gauge"),
            "peak": Metric("mldeploy_serving_in_flight_max", "The most requests scored at once so far.", "gauge"),
            "limit": Metric("mldeploy_serving_concurrency_limit", "Requests a served model scores at once "
                            "(workload_size or max_provisioned_concurrency).", "gauge"),
            "queue": Metric("mldeploy_serving_queue_limit", "Requests a served model holds waiting before it refuses.",
                            "gauge"),
            "refused": Metric("mldeploy_serving_refused", "Requests refused with 429: too many concurrent requests.",
                              "counter"),
        }
        for endpoint, served, gate in self._gates():
            labels = {"endpoint": endpoint, "served_model": served}
            for name, value in (("in_flight", gate.in_flight), ("queued", gate.queued), ("peak", gate.peak),
                                ("limit", gate.limit), ("queue", gate.queue)):
                families[name].add_sample(families[name].name, labels, value)
            families["refused"].add_sample("mldeploy_serving_refused_total", labels, gate.refused)
        limited = Metric("mldeploy_serving_rate_limited", "Calls refused with 429 by an AI Gateway rate limit.",
                         "counter")
        for (endpoint, key), count in sorted(self._rate_limited().items()):
            limited.add_sample("mldeploy_serving_rate_limited_total", {"endpoint": endpoint, "key": key}, count)
        loaded = Metric("mldeploy_serving_model_loaded", "1 while a scale-to-zero served model is in memory, 0 while "
                        "it is scaled to zero.", "gauge")
        down = Metric("mldeploy_serving_scaled_to_zero", "Times a served model was unloaded after being idle.",
                      "counter")
        up = Metric("mldeploy_serving_scaled_from_zero", "Times a served model scaled to zero was loaded again.",
                    "counter")
        for endpoint, served, in_memory, unloads, loads in self._scaling():
            labels = {"endpoint": endpoint, "served_model": served}
            loaded.add_sample("mldeploy_serving_model_loaded", labels, int(in_memory))
            down.add_sample("mldeploy_serving_scaled_to_zero_total", labels, unloads)
            up.add_sample("mldeploy_serving_scaled_from_zero_total", labels, loads)
        yield from (*families.values(), limited, loaded, down, up)


def _quantile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile of sorted values (NaN when there are none, as Prometheus expects)."""
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]
