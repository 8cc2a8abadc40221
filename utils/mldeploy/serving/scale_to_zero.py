"""Scale to zero: a served model idle for a while leaves memory; the next request loads it again.

Databricks scales a served entity with ``scale_to_zero_enabled`` down to no replica after a time without traffic;
the next request waits while it scales up again (a cold start), and a request that waits too long gets an error
(Databricks' "Fix slow requests on Model Serving endpoints" names HTTP 555 for an endpoint scaled to zero).

Here the replica is the model in memory. ``reap`` (every few seconds, on the event loop) unloads each model
idle for ``idle_seconds`` that only served entities with scale-to-zero use (never one that a served entity
without it, a shadow or a legacy route holds). ``using(model)`` wraps a request to such a served entity: the
model counts as in use (never unloaded under a request), and if it is unloaded, the request waits while a
worker thread loads it again, one load for every request waiting. A request that waits longer than
``load_timeout`` seconds gets 503 "scaling from zero" with ``Retry-After`` — the status Databricks' clients
retry by themselves — while the load goes on for the next one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from .config import ConfigError
from .models import LoadedModel
from .scoring import RequestError


class ScaleToZero:
    """Unloads idle models of scale-to-zero served entities, and loads them again on the next request.

    Used from the event loop only. ``scaled_to_zero`` and ``scaled_from_zero`` count unloads and loads per URI.
    """

    def __init__(self, service: Any, idle_seconds: float, load_timeout: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.service = service  # service.ServingService
        self.idle_seconds = idle_seconds
        self.load_timeout = load_timeout
        self.scaled_to_zero: dict[str, int] = {}
        self.scaled_from_zero: dict[str, int] = {}
        self._clock = clock
        self._last_used: dict[str, float] = {}
        self._in_use: dict[str, int] = {}
        self._loading: dict[str, asyncio.Future] = {}

    @asynccontextmanager
    async def using(self, model: LoadedModel, label: str) -> AsyncIterator[None]:
        """Hold ``model`` in memory for one request, loading it first if it left (503 past the timeout)."""
        self._in_use[model.uri] = self._in_use.get(model.uri, 0) + 1
        try:
            if model.model is None:
                await self._wake(model, label)
            yield
        finally:
            self._in_use[model.uri] -= 1
            self._last_used[model.uri] = self._clock()

    async def _wake(self, model: LoadedModel, label: str) -> None:
        loading = self._loading.get(model.uri)
        if loading is None:
            loading = asyncio.get_running_loop().run_in_executor(None, self.service.loader.reload, model)
            loading.add_done_callback(lambda done, uri=model.uri: self._loaded(uri, done))
            self._loading[model.uri] = loading
        try:
            await asyncio.wait_for(asyncio.shield(loading), self.load_timeout)
        except asyncio.TimeoutError:
            raise RequestError(503, "TEMPORARILY_UNAVAILABLE", f"Scaling from zero: {label} was scaled to zero after "
                               f"{self.idle_seconds:g} s without requests, and loading it again takes longer than "
                               f"{self.load_timeout:g} s. Retry in a moment (Retry-After): the load goes on.",
                               headers={"Retry-After": "1"}) from None
        except ConfigError as error:
            raise RequestError(503, "TEMPORARILY_UNAVAILABLE", f"Scaling from zero: {label} could not be loaded "
                               f"again: {error}", headers={"Retry-After": "1"}) from None

    def _loaded(self, uri: str, done: asyncio.Future) -> None:
        del self._loading[uri]
        if not done.cancelled() and done.exception() is None:  # reading it marks a failure seen, waited for or not
            self.scaled_from_zero[uri] = self.scaled_from_zero.get(uri, 0) + 1

    def reap(self) -> list[str]:
        """Unload each idle model that only scale-to-zero served entities use; the URIs unloaded."""
        now = self._clock()
        held = set(self.service.legacy_uris)
        candidates: dict[str, LoadedModel] = {}
        for state in self.service.endpoints.values():
            for served in state.config.served:
                model = state.models[served.name]
                if served.scale_to_zero and not served.shadow:
                    candidates[model.uri] = model
                else:
                    held.add(model.uri)
        unloaded = []
        for uri, model in candidates.items():
            idle_since = self._last_used.setdefault(uri, now)  # a model never asked for is idle from now on
            if uri in held or model.model is None or self._in_use.get(uri) or uri in self._loading:
                continue
            if now - idle_since >= self.idle_seconds:
                self.service.loader.unload(model)
                self.scaled_to_zero[uri] = self.scaled_to_zero.get(uri, 0) + 1
                unloaded.append(uri)
        return unloaded

    async def run(self) -> None:
        """Reap every quarter of the idle time (at most every 5 s) until cancelled."""
        interval = max(0.1, min(5.0, self.idle_seconds / 4))
        while True:
            await asyncio.sleep(interval)
            self.reap()
