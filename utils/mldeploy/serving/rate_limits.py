"""AI Gateway rate limits: calls per minute for a whole endpoint and for each user, beyond which a call gets 429.

An endpoint's ``ai_gateway`` (``PUT /api/2.0/serving-endpoints/{name}/ai-gateway``, or ``ai_gateway`` when it is
created) carries Databricks' list::

    {"rate_limits": [{"calls": 100, "key": "endpoint", "renewal_period": "minute"},
                     {"calls": 10, "key": "user", "renewal_period": "minute"}]}

``key: "endpoint"`` (the default) caps all the endpoint's traffic; ``key: "user"`` gives each caller that many
calls; a call must pass every limit, and a refused call does not count. The older ``PUT .../rate-limits`` (and
``rate_limits`` beside ``config`` at creation) take the same list. Here a caller is a bearer token: the server
may accept several, one per user (``MLDEPLOY_SERVING_TOKEN="token-a,token-b"``); without auth every caller is
the same user. What a laptop cannot mean is refused with a message: ``tokens`` (LLM tokens per minute), and the
``user_group``/``service_principal`` keys and ``principal`` (Databricks identities). The other AI Gateway
settings are kept and reported back; of them only ``inference_table_config`` acts (``inference_table``);
usage tracking, guardrails and fallbacks are not enforced.

Counting: each (endpoint, key, user) gets a window of one minute that starts at its first call; ``calls`` fit
in it, and the first call after it ends opens the next one. Databricks does not document its algorithm; this
one is exact, needs no timer, and tells a refused caller when to come back (``Retry-After``, which the
Databricks SDK waits for before it retries).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .config import ConfigError
from .scoring import RequestError

#: Seconds in a renewal period; "minute" is the only period Databricks offers.
PERIOD_SECONDS = {"minute": 60.0}
KEYS = ("endpoint", "user")
#: AI Gateway settings beside rate_limits: accepted and reported back as given.
REPORTED_ONLY = ("usage_tracking_config", "inference_table_config", "guardrails", "fallback_config")


@dataclass(frozen=True)
class RateLimit:
    """``calls`` per ``renewal_period`` for the whole endpoint (key "endpoint") or for each user (key "user")."""

    calls: int
    key: str = "endpoint"
    renewal_period: str = "minute"

    def to_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "key": self.key, "renewal_period": self.renewal_period}


def parse_rate_limits(raw: Any, where: str = "rate_limits") -> tuple[RateLimit, ...]:
    """The ``rate_limits`` list, checked: at most one limit per key."""
    example = '[{"calls": 100, "key": "endpoint", "renewal_period": "minute"}]'
    if not isinstance(raw, list):
        raise ConfigError(f"{where} must be a list such as {example}, not {type(raw).__name__}.")
    limits: list[RateLimit] = []
    for i, spec in enumerate(raw):
        here = f"{where}[{i}]"
        if not isinstance(spec, dict):
            raise ConfigError(f"{here} must be an object such as {example[1:-1]}.")
        if "tokens" in spec or "principal" in spec:
            raise ConfigError(f"{here}: this server counts calls per endpoint or per user (bearer token); it has no "
                              "LLM tokens to count and no Databricks principals: use calls and key 'endpoint' or "
                              "'user'.")
        if unknown := sorted(set(spec) - {"calls", "key", "renewal_period"}):
            raise ConfigError(f"{here} has unknown field(s) {unknown}: a rate limit has calls, key and renewal_period.")
        calls, key, period = spec.get("calls"), spec.get("key", "endpoint"), spec.get("renewal_period")
        if isinstance(calls, bool) or not isinstance(calls, int) or calls < 0:
            raise ConfigError(f"{here}.calls must be a whole number of calls per minute (0 blocks all), not {calls!r}.")
        if key not in KEYS:
            raise ConfigError(f"{here}.key must be 'endpoint' (all traffic) or 'user' (each bearer token), not "
                              f"{key!r}.")
        if period not in PERIOD_SECONDS:
            raise ConfigError(f"{here}.renewal_period must be \"minute\" (the only period Databricks offers), not "
                              f"{period!r}.")
        if any(limit.key == key for limit in limits):
            raise ConfigError(f"{here} is a second limit with key {key!r}: give one per key.")
        limits.append(RateLimit(calls=calls, key=key, renewal_period=period))
    return tuple(limits)


def parse_ai_gateway(raw: Any) -> tuple[dict[str, Any], tuple[RateLimit, ...]]:
    """An endpoint's ``ai_gateway`` object: the settings as they will be reported, and the limits to enforce."""
    if not isinstance(raw, dict):
        raise ConfigError("ai_gateway must be an object such as {\"rate_limits\": [{\"calls\": 100, \"key\": "
                          f"\"user\", \"renewal_period\": \"minute\"}}]}}, not {type(raw).__name__}.")
    if unknown := sorted(set(raw) - {"rate_limits", *REPORTED_ONLY}):
        raise ConfigError(f"ai_gateway has unknown field(s) {unknown}; it takes rate_limits, "
                          f"{', '.join(REPORTED_ONLY)}.")
    limits = parse_rate_limits(raw.get("rate_limits", []), "ai_gateway.rate_limits")
    reported = {key: value for key, value in raw.items() if key != "rate_limits"}
    if limits:
        reported["rate_limits"] = [limit.to_dict() for limit in limits]
    return reported, limits


class RateLimiter:
    """Counts calls per (endpoint, key, user) in one-minute windows; ``check`` refuses a call over a limit.

    Used from the event loop only. ``refused`` counts refusals per (endpoint, key) for ``/metrics``.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, str, str], tuple[float, int]] = {}
        self.refused: dict[tuple[str, str], int] = {}

    def check(self, endpoint: str, limits: tuple[RateLimit, ...], user: str) -> None:
        """Count one call by ``user`` to ``endpoint``, or raise RequestError 429 (and count nothing) past a limit."""
        now = self._clock()
        counted = []
        for limit in limits:
            window = (endpoint, limit.key, user if limit.key == "user" else "")
            period = PERIOD_SECONDS[limit.renewal_period]
            started, calls = self._windows.get(window, (now, 0))
            if now - started >= period:
                started, calls = now, 0
            if calls >= limit.calls:
                self.refused[(endpoint, limit.key)] = self.refused.get((endpoint, limit.key), 0) + 1
                wait = max(1, math.ceil(started + period - now))
                whose = "each user (bearer token)" if limit.key == "user" else "all callers together"
                raise RequestError(
                    429, "REQUEST_LIMIT_EXCEEDED",
                    f"Rate limit exceeded: endpoint {endpoint!r} allows {limit.calls} calls per "
                    f"{limit.renewal_period} for {whose}, and they are spent; the count renews in {wait} s. Retry "
                    f"then (Retry-After says when), or raise the limit: PUT /api/2.0/serving-endpoints/{endpoint}"
                    "/ai-gateway.",
                    headers={"Retry-After": str(wait)})
            counted.append((window, started, calls))
        for window, started, calls in counted:
            self._windows[window] = (started, calls + 1)

    def forget(self, endpoint: str) -> None:
        """Drop a deleted endpoint's counts (a new endpoint of that name starts afresh)."""
        self._windows = {window: count for window, count in self._windows.items() if window[0] != endpoint}
        self.refused = {key: count for key, count in self.refused.items() if key[0] != endpoint}
