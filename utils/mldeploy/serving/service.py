"""The endpoints a server hosts, and config changes that drop no request.

A config change (new split, promotion, rollback) builds a complete new ``EndpointState`` first — models
loaded, router seeded — while requests keep using the old one; then one assignment swaps the endpoint table
for a new dict. A request reads the table once when it starts and uses that snapshot to the end, so it is
answered wholly by the old config or wholly by the new one, never by half of each, and never refused
because a model was being loaded. A config that fails to load changes nothing.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .config import ConfigError, EndpointConfig, ServerConfig, registry_uri
from .models import LoadedModel, ModelLoader, resolve_uri
from .routing import TrafficRouter


@dataclass(frozen=True)
class EndpointState:
    """One version of an endpoint's config with its models in memory; never changed once built."""

    config: EndpointConfig
    version: int
    models: dict[str, LoadedModel]
    router: TrafficRouter
    created_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def describe(self) -> dict[str, Any]:
        """The endpoint as Databricks' ``GET /api/2.0/serving-endpoints/{name}`` shows it."""
        config = self.config.to_dict()
        for served in config["served_entities"]:
            served["resolved_model_uri"] = self.models[served["name"]].uri
            served["state"] = {"deployment": "DEPLOYMENT_READY"}
        return {
            "name": self.config.name,
            "state": {"ready": "READY", "config_update": "NOT_UPDATING"},
            "config": {**config, "config_version": self.version},
            "last_updated_timestamp": self.created_ms,
        }


class ServingService:
    """Holds ``endpoints`` (name -> EndpointState); ``apply`` and ``delete`` replace the whole table."""

    def __init__(self, server: ServerConfig, loader: ModelLoader | None = None) -> None:
        self.server = server
        self.loader = loader or ModelLoader()
        self.endpoints: dict[str, EndpointState] = {}
        self._legacy: dict[str, LoadedModel] = {}
        self._lock = threading.Lock()
        for endpoint in server.endpoints:
            self.apply(endpoint, create=True)

    def apply(self, config: EndpointConfig, create: bool = False) -> EndpointState:
        """Load ``config``'s models, then swap it in; ``create`` refuses a name in use, else one must exist."""
        with self._lock:  # config changes one at a time; requests never take this lock
            previous = self.endpoints.get(config.name)
            if create and previous is not None:
                raise ConfigError(f"Endpoint {config.name!r} already exists: PUT "
                                  f"/api/2.0/serving-endpoints/{config.name}/config to change it.")
            if not create and previous is None:
                raise KeyError(config.name)
            models = {served.name: self.loader.load(resolve_uri(served.model_uri)) for served in config.served}
            state = EndpointState(config=config, version=(previous.version + 1) if previous else 1, models=models,
                                  router=TrafficRouter(config.routes, config.traffic_seed))
            self.endpoints = {**self.endpoints, config.name: state}  # the swap: one assignment
            self._forget_unused()
            return state

    def delete(self, name: str) -> None:
        with self._lock:
            if name not in self.endpoints:
                raise KeyError(name)
            self.endpoints = {key: state for key, state in self.endpoints.items() if key != name}
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

    def _forget_unused(self) -> None:
        used = {model.uri for state in self.endpoints.values() for model in state.models.values()}
        self.loader.keep_only(used | set(self._legacy))
