"""The endpoints a server hosts, and config changes that drop no request.

A config change (new split, promotion, rollback) builds a complete new ``EndpointState`` first — models
loaded, router seeded — while requests keep using the old one; then one assignment swaps the endpoint table
for a new dict. A request reads the table once when it starts and uses that snapshot to the end, so it is
answered wholly by the old config or wholly by the new one, never by half of each, and never refused
because a model was being loaded. A config that fails to load changes nothing (the endpoint's state says
``UPDATE_FAILED`` until a later update succeeds, as Databricks' does).

While a config loads, ``describe`` shows what Databricks' API shows during an update: ``state.config_update``
``IN_PROGRESS`` and the config being deployed as ``pending_config`` (an endpoint being created is ``NOT_READY``
until then), so the SDK's ``*_and_wait`` pollers and a learner's own polling see the same fields as on
Databricks. Changes that are not a config (the AI Gateway's rate limits, tags) keep the config version.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from .concurrency import ConcurrencyGate
from .config import ConfigError, EndpointConfig, ServedModel, ServerConfig, registry_uri
from .models import LoadedModel, ModelLoader, resolve_uri
from .routing import TrafficRouter


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class EndpointState:
    """One version of an endpoint's config with its models in memory; never changed once built."""

    config: EndpointConfig
    version: int
    models: dict[str, LoadedModel]
    router: TrafficRouter
    gates: dict[str, ConcurrencyGate] = field(default_factory=dict)  # served models with a concurrency limit
    scale_to_zero: frozenset[str] = frozenset()  # served models (not shadows) with scale_to_zero_enabled
    endpoint_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_ms: int = field(default_factory=_now_ms)  # when the endpoint was created, kept by later versions
    updated_ms: int = field(default_factory=_now_ms)  # when this version (or its gateway, tags) was applied

    def describe(self, pending: dict[str, Any] | None = None, failed: bool = False) -> dict[str, Any]:
        """The endpoint as ``GET /api/2.0/serving-endpoints/{name}`` shows it (SDK: ``ServingEndpointDetailed``)."""
        config = self.config.to_dict()
        for served in config["served_entities"]:
            model = self.models[served["name"]]
            served["resolved_model_uri"] = model.uri
            message = "Scaled to zero: the next request loads it again" if model.model is None else ""
            served["state"] = {"deployment": "DEPLOYMENT_READY", "deployment_state_message": message}
        update = "IN_PROGRESS" if pending else "UPDATE_FAILED" if failed else "NOT_UPDATING"
        described = {
            "name": self.config.name,
            "id": self.endpoint_id,
            "creation_timestamp": self.created_ms,
            "last_updated_timestamp": self.updated_ms,
            "state": {"ready": "READY", "config_update": update},
            "config": {**config, "config_version": self.version},
            "permission_level": "CAN_MANAGE",  # whoever holds the token manages the endpoint
            "route_optimized": False,
            **self.config.meta,
        }
        if self.config.gateway:
            described["ai_gateway"] = self.config.gateway
        if pending:
            described["pending_config"] = pending
        return described


def _pending(config: EndpointConfig, version: int) -> dict[str, Any]:
    """A config being loaded, as Databricks' ``pending_config`` shows it."""
    shaped = config.to_dict()
    for served in shaped["served_entities"]:
        served["state"] = {"deployment": "DEPLOYMENT_CREATING", "deployment_state_message": "Loading the model"}
    return {**shaped, "config_version": version, "start_time": _now_ms()}


class ServingService:
    """Holds ``endpoints`` (name -> EndpointState); ``apply`` and ``delete`` replace the whole table."""

    def __init__(self, server: ServerConfig, loader: ModelLoader | None = None) -> None:
        self.server = server
        self.loader = loader or ModelLoader()
        self.endpoints: dict[str, EndpointState] = {}
        self.pending: dict[str, dict[str, Any]] = {}  # endpoint -> the config loading now (pending_config)
        self.failed: set[str] = set()  # endpoints whose last update failed to load
        self._legacy: dict[str, LoadedModel] = {}
        self._lock = threading.Lock()
        for endpoint in server.endpoints:
            self.apply(endpoint, create=True)

    def apply(self, config: EndpointConfig, create: bool = False) -> EndpointState:
        """Load ``config``'s models, then swap it in; ``create`` refuses a name in use, else one must exist.

        An update keeps the endpoint's gateway and other endpoint fields (a config holds only served entities
        and routes), its id and creation time.
        """
        with self._lock:  # config changes one at a time; requests never take this lock
            previous = self.endpoints.get(config.name)
            if create and previous is not None:
                raise ConfigError(f"Endpoint {config.name!r} already exists: PUT "
                                  f"/api/2.0/serving-endpoints/{config.name}/config to change it.")
            if not create and previous is None:
                raise KeyError(config.name)
            version = (previous.version + 1) if previous else 1
            if previous is not None:
                config = replace(config, gateway=previous.config.gateway, rate_limits=previous.config.rate_limits,
                                 meta=previous.config.meta)
            self.pending[config.name] = _pending(config, version)
            try:
                models = {served.name: self.loader.load(resolve_uri(served.model_uri)) for served in config.served}
            except ConfigError:
                if previous is not None:
                    self.failed.add(config.name)
                raise
            finally:
                del self.pending[config.name]
            state = EndpointState(config=config, version=version, models=models,
                                  router=TrafficRouter(config.routes, config.traffic_seed),
                                  gates={served.name: self._gate(config.name, served, previous)
                                         for served in config.served if served.concurrency},
                                  scale_to_zero=frozenset(served.name for served in config.served
                                                          if served.scale_to_zero and not served.shadow),
                                  **({"endpoint_id": previous.endpoint_id, "created_ms": previous.created_ms}
                                     if previous else {}))
            self.endpoints = {**self.endpoints, config.name: state}  # the swap: one assignment
            self.failed.discard(config.name)
            self._forget_unused()
            return state

    def _gate(self, endpoint: str, served: ServedModel, previous: EndpointState | None) -> ConcurrencyGate:
        """The served model's gate: the previous version's when its limit is unchanged (its counts go on)."""
        queue = served.concurrency if self.server.queue_size is None else self.server.queue_size
        old = previous.gates.get(served.name) if previous else None
        if old is not None and (old.limit, old.queue, old.source) == (served.concurrency, queue,
                                                                       served.concurrency_source):
            return old
        return ConcurrencyGate(served.concurrency, queue, f"served model {served.name!r} of endpoint {endpoint!r}",
                               served.concurrency_source)

    def update_endpoint(self, name: str, **fields: Any) -> EndpointState:
        """Change what is beside the config (``gateway``, ``rate_limits``, ``meta``): same models, same version."""
        with self._lock:
            state = self.endpoints.get(name)
            if state is None:
                raise KeyError(name)
            state = replace(state, config=replace(state.config, **fields), updated_ms=_now_ms())
            self.endpoints = {**self.endpoints, name: state}
            return state

    def describe(self, name: str) -> dict[str, Any]:
        """The Databricks description of endpoint ``name`` (one being created too); KeyError if there is none."""
        state, pending = self.endpoints.get(name), self.pending.get(name)
        if state is not None:
            return state.describe(pending, failed=name in self.failed)
        if pending is None:
            raise KeyError(name)
        return {"name": name, "state": {"ready": "NOT_READY", "config_update": "IN_PROGRESS"},
                "pending_config": pending, "permission_level": "CAN_MANAGE"}

    def describe_all(self) -> list[dict[str, Any]]:
        names = sorted({*self.endpoints, *self.pending})
        described = []
        for name in names:
            try:
                described.append(self.describe(name))
            except KeyError:  # deleted, or its creation failed, since the names were read
                pass
        return described

    def delete(self, name: str) -> None:
        with self._lock:
            if name not in self.endpoints:
                raise KeyError(name)
            self.endpoints = {key: state for key, state in self.endpoints.items() if key != name}
            self.failed.discard(name)
            self._forget_unused()

    def legacy_model(self, name: str, version: str) -> LoadedModel:
        """The registered model version a legacy ``/model/<name>/<stage or version>`` route names, right now."""
        uri = resolve_uri(registry_uri(name, version))
        model = self._legacy.get(uri)
        if model is None:
            model = self.loader.load(uri)
            with self._lock:
                self._legacy[uri] = model
        return model

    @property
    def legacy_uris(self) -> set[str]:
        """Models the legacy /model/... routes hold (never scaled to zero)."""
        return set(self._legacy)

    def _forget_unused(self) -> None:
        used = {model.uri for state in self.endpoints.values() for model in state.models.values()}
        self.loader.keep_only(used | set(self._legacy))
