"""Endpoint configuration in the shapes of the Databricks serving-endpoints API, checked before anything loads.

A learner who later writes the same JSON for Databricks Model Serving should find nothing to unlearn, so the
server reads the cloud's shapes: ``served_entities`` (``entity_name``/``entity_version``) or the older
``served_models`` (``model_name``/``model_version``), and ``traffic_config.routes``. A served entity's
``workload_size`` (or ``min/max_provisioned_concurrency``) limits how many requests it scores at once
(``concurrency``) and ``scale_to_zero_enabled`` lets it leave memory when idle (``scale_to_zero``); beside the
``config``, an endpoint's ``ai_gateway.rate_limits`` (or the older ``rate_limits``) limit calls per minute
(``rate_limits``). Fields that mean nothing on a laptop (``workload_type``, ``tags``, ``description``...) are
kept and reported back, never rejected. Local additions, each optional:
``model_uri`` (serve a model that is not registered), ``shadow: true`` (see a copy of the traffic, answer
nobody) and ``traffic_seed`` (a reproducible split).

Every mistake raises ``ConfigError`` naming the field and what to write instead: a server that refuses a
bad config up front is easier to debug than one that routes traffic oddly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..registry import STAGES

#: Served-model and endpoint names end up in URLs: keep them to URL-safe characters.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
#: The environment variable holding the bearer token, so a token never sits in a config file or a command line.
#: Several tokens, separated by commas, give several users (each counted apart by a per-user rate limit).
TOKEN_VARIABLE = "MLDEPLOY_SERVING_TOKEN"
#: The fields this module reads from a served entity; everything else is reported back as given.
_SERVED_KEYS = {"name", "entity_name", "entity_version", "model_name", "model_version", "model_uri", "shadow",
                "traffic_percentage"}


class ConfigError(ValueError):
    """An endpoint config the server refuses; the message says which field and how to fix it."""


@dataclass(frozen=True)
class ServedModel:
    """One model an endpoint serves: where it comes from, what it is called, whether it only shadows."""

    name: str
    model_uri: str
    entity_name: str | None = None
    entity_version: str | None = None
    shadow: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    concurrency: int | None = None  # requests scored at once, from workload_size or max_provisioned_concurrency
    concurrency_source: str = ""  # which field set it, for messages: "workload_size Small"
    scale_to_zero: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The Databricks shape, with the fields that have no local meaning reported as given."""
        shaped: dict[str, Any] = {"name": self.name}
        if self.entity_name is not None:
            shaped.update(entity_name=self.entity_name, entity_version=self.entity_version)
        shaped["model_uri"] = self.model_uri
        if self.shadow:
            shaped["shadow"] = True
        return {**shaped, **self.extra}


@dataclass(frozen=True)
class EndpointConfig:
    """An endpoint: its served models and the percentage of traffic each one answers."""

    name: str
    served: tuple[ServedModel, ...]
    routes: dict[str, int]
    traffic_seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Beside the config: the endpoint's ai_gateway as reported, the rate limits it enforces, and endpoint fields
    # with no local meaning (tags, description, route_optimized...), reported as given. A PUT of the config
    # alone keeps them.
    gateway: dict[str, Any] = field(default_factory=dict)
    rate_limits: tuple[Any, ...] = ()  # rate_limits.RateLimit
    meta: dict[str, Any] = field(default_factory=dict)

    def served_model(self, name: str) -> ServedModel | None:
        return next((served for served in self.served if served.name == name), None)

    @property
    def shadows(self) -> tuple[ServedModel, ...]:
        return tuple(served for served in self.served if served.shadow)

    def to_dict(self) -> dict[str, Any]:
        """The ``config`` part of a Databricks endpoint description."""
        config: dict[str, Any] = {
            "served_entities": [served.to_dict() for served in self.served],
            "traffic_config": {"routes": [{"served_model_name": name, "traffic_percentage": percent}
                                          for name, percent in self.routes.items()]},
        }
        if self.traffic_seed is not None:
            config["traffic_seed"] = self.traffic_seed
        return {**config, **self.extra}


@dataclass(frozen=True)
class ServerConfig:
    """What one server process hosts and how it is reached."""

    endpoints: tuple[EndpointConfig, ...]
    host: str = "127.0.0.1"
    port: int = 8080
    auth_token: str | None = None
    inference_log: str | None = "work/inference_log"
    max_request_bytes: int = 5 * 1024 * 1024
    legacy_routes: bool = True
    events: dict[str, str] | None = None  # {"bootstrap_servers", "topic"}: publish each prediction (events.py)
    queue_size: int | None = None  # requests waiting per served entity with a concurrency limit (default: the limit)
    scale_to_zero_after_seconds: int = 1800  # idle time before a scale-to-zero served model is unloaded
    scale_from_zero_timeout_seconds: int = 30  # a request waits this long for it to load again, then gets 503


def _check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"{what} {name!r} is not a usable name: use letters, digits, '.', '_' and '-' (it becomes part of a "
            "URL), at most 63 characters."
        )
    return name


def _version(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value).strip() == "":
        raise ConfigError(f"{where}: the version must be a version number (\"3\"), a stage or an alias, "
                          f"not {value!r}.")
    return str(value).strip()


def registry_uri(name: str, version: str) -> str:
    """``models:/`` URI for a registered model by version number, stage or alias."""
    if version.isdigit():
        return f"models:/{name}/{version}"
    if version.capitalize() in STAGES:
        return f"models:/{name}/{version.capitalize()}"
    return f"models:/{name}@{version}"


def _percentage(value: Any, where: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or not number == number or number != int(number) or not 0 <= number <= 100:
        raise ConfigError(f"{where}: traffic_percentage must be a whole number from 0 to 100, not {value!r}.")
    return int(number)


def parse_served(spec: Any, position: int, older: bool) -> tuple[ServedModel, int | None]:
    """One served entity (or older served model), and its own traffic_percentage if it gives one."""
    key = "served_models" if older else "served_entities"
    if not isinstance(spec, dict):
        raise ConfigError(f"{key}[{position}] must be an object like "
                          "{\"entity_name\": \"flight_delay\", \"entity_version\": \"1\"}, not "
                          f"{type(spec).__name__}.")
    name_key, version_key = ("model_name", "model_version") if older else ("entity_name", "entity_version")
    entity_name = spec.get(name_key, spec.get("entity_name" if older else "model_name"))
    entity_version = spec.get(version_key, spec.get("entity_version" if older else "model_version"))
    model_uri = spec.get("model_uri")
    where = f"{key}[{position}]"
    if entity_name is None and model_uri is None:
        raise ConfigError(f"{where} says no model: give {name_key} and {version_key} for a registered model "
                          "(or model_uri, e.g. runs:/<run id>/model, for one that is not registered).")
    if entity_name is not None:
        if not isinstance(entity_name, str) or not entity_name.strip():
            raise ConfigError(f"{where}: {name_key} must be the registered model's name, not {entity_name!r}.")
        if entity_version is None:
            raise ConfigError(f"{where}: {name_key} {entity_name!r} needs {version_key} (a version number such "
                              "as \"2\", or a stage or alias): an endpoint serves one fixed version.")
        entity_version = _version(entity_version, where)
        model_uri = model_uri or registry_uri(entity_name, entity_version)
    elif not isinstance(model_uri, str) or not model_uri.strip():
        raise ConfigError(f"{where}: model_uri must be a model URI such as runs:/<run id>/model, not {model_uri!r}.")
    default_name = f"{entity_name}-{entity_version}".replace("/", "-") if entity_name else None
    name = spec.get("name", default_name)
    if name is None:
        raise ConfigError(f"{where} serves {model_uri!r}: give it a name (\"name\": \"challenger\").")
    _check_name(name, f"{where}.name")
    shadow = spec.get("shadow", False)
    if not isinstance(shadow, bool):
        raise ConfigError(f"{where}.shadow must be true or false, not {shadow!r}.")
    percent = spec.get("traffic_percentage")
    scale_to_zero = spec.get("scale_to_zero_enabled", False)
    if not isinstance(scale_to_zero, bool):
        raise ConfigError(f"{where}.scale_to_zero_enabled must be true or false, not {scale_to_zero!r}.")
    from .concurrency import concurrency_limit

    limit = concurrency_limit(spec, where)
    extra = {k: v for k, v in spec.items() if k not in _SERVED_KEYS}
    served = ServedModel(name=name, model_uri=model_uri.strip(), entity_name=entity_name,
                         entity_version=entity_version, shadow=shadow, extra=extra,
                         concurrency=limit[0] if limit else None, concurrency_source=limit[1] if limit else "",
                         scale_to_zero=scale_to_zero)
    return served, None if percent is None else _percentage(percent, f"{where}.traffic_percentage")


def parse_endpoint_config(name: str, config: Any) -> EndpointConfig:
    """The ``config`` object of a Databricks endpoint (the body of ``PUT .../config``) for endpoint ``name``."""
    _check_name(name, "Endpoint name")
    if not isinstance(config, dict):
        raise ConfigError(f"The config of endpoint {name!r} must be a JSON object with served_entities, not "
                          f"{type(config).__name__}.")
    if "served_entities" in config and "served_models" in config:
        raise ConfigError("Give served_entities or the older served_models, not both.")
    older = "served_models" in config
    specs = config.get("served_models" if older else "served_entities")
    if not isinstance(specs, list) or not specs:
        raise ConfigError(
            f"Endpoint {name!r} serves nothing: its config needs a non-empty served_entities list, e.g. "
            "{\"served_entities\": [{\"entity_name\": \"flight_delay\", \"entity_version\": \"1\"}]}."
        )
    parsed = [parse_served(spec, i, older) for i, spec in enumerate(specs)]
    served = tuple(model for model, _ in parsed)
    names = [model.name for model in served]
    if duplicated := sorted({n for n in names if names.count(n) > 1}):
        raise ConfigError(f"Endpoint {name!r} has two served models named {duplicated}: give each its own name.")
    routes = _routes(name, config.get("traffic_config"), served, {m.name: p for m, p in parsed if p is not None})
    seed = config.get("traffic_seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ConfigError(f"traffic_seed must be a whole number (or left out), not {seed!r}.")
    if config.get("name", name) != name:  # the Databricks SDK's EndpointCoreConfigInput carries the endpoint's name
        raise ConfigError(f"The config names endpoint {config['name']!r} but is for endpoint {name!r}: drop the "
                          "config's name or make it match.")
    extra = {k: v for k, v in config.items()
             if k not in {"served_entities", "served_models", "traffic_config", "traffic_seed", "name"}}
    return EndpointConfig(name=name, served=served, routes=routes, traffic_seed=seed, extra=extra)


def _routes(endpoint: str, traffic: Any, served: tuple[ServedModel, ...], inline: dict[str, int]) -> dict[str, int]:
    """Served model -> percentage of the endpoint's traffic; the percentages sum to 100."""
    names = {model.name for model in served}
    if traffic is not None:
        if not isinstance(traffic, dict) or not isinstance(traffic.get("routes"), list):
            raise ConfigError("traffic_config must be {\"routes\": [{\"served_model_name\": ..., "
                              "\"traffic_percentage\": ...}, ...]}.")
        routes: dict[str, int] = {}
        for i, route in enumerate(traffic["routes"]):
            where = f"traffic_config.routes[{i}]"
            if not isinstance(route, dict):
                raise ConfigError(f"{where} must be an object with served_model_name and traffic_percentage.")
            target = route.get("served_model_name", route.get("served_entity_name"))
            if target not in names:
                raise ConfigError(f"{where} sends traffic to {target!r}, which this endpoint does not serve; "
                                  f"its served models are {sorted(names)}.")
            if target in routes:
                raise ConfigError(f"{where} names {target!r} a second time: one route per served model.")
            routes[target] = _percentage(route.get("traffic_percentage"), where)
    elif inline:
        routes = dict(inline)
    else:
        live = [model.name for model in served if not model.shadow]
        if len(live) != 1:
            raise ConfigError(
                f"Endpoint {endpoint!r} serves {len(live)} models that answer ({live}) but says nothing about how "
                "to split traffic: add traffic_config.routes, e.g. [{\"served_model_name\": \"champion\", "
                "\"traffic_percentage\": 80}, {\"served_model_name\": \"challenger\", \"traffic_percentage\": 20}]."
            )
        routes = {live[0]: 100}
    for model in served:
        if model.shadow and routes.get(model.name, 0) > 0:
            raise ConfigError(f"{model.name!r} is a shadow: it sees a copy of every request and answers nobody, so "
                              "it cannot also take a share of the traffic. Give it 0 or drop its route.")
    total = sum(routes.values())
    if total != 100:
        listed = ", ".join(f"{name} {percent}" for name, percent in routes.items())
        raise ConfigError(f"The traffic percentages of endpoint {endpoint!r} sum to {total} ({listed}); they must "
                          "sum to 100.")
    return routes


#: Fields of an endpoint beside its name and config that the server reads (the rest go to ``meta``).
_GATEWAY_KEYS = ("ai_gateway", "rate_limits")
#: Endpoint fields (beside name and config) Databricks takes at creation; reported back as given.
ENDPOINT_FIELDS = ("tags", "description", "route_optimized", "budget_policy_id", "email_notifications",
                   "telemetry_config", "usage_policy_id")


def parse_endpoint(spec: Any) -> EndpointConfig:
    """An endpoint as ``POST /api/2.0/serving-endpoints`` takes it: ``{"name", "config", "ai_gateway", "tags"...}``."""
    if not isinstance(spec, dict) or "name" not in spec:
        raise ConfigError("An endpoint is {\"name\": \"flights\", \"config\": {\"served_entities\": [...]}}.")
    config = spec.get("config")
    outside = {k: v for k, v in spec.items() if k in (*_GATEWAY_KEYS, *ENDPOINT_FIELDS)}
    if config is None:  # tolerate the config's fields written beside the name
        config = {k: v for k, v in spec.items() if k != "name" and k not in outside}
    elif unknown := sorted(set(spec) - {"name", "config", *outside}):
        raise ConfigError(f"Unknown endpoint field(s) {unknown}: an endpoint has name, config, ai_gateway and "
                          f"{', '.join(ENDPOINT_FIELDS)}.")
    from .rate_limits import parse_ai_gateway, parse_rate_limits

    endpoint = parse_endpoint_config(spec["name"], config)
    gateway, limits = parse_ai_gateway(outside.get("ai_gateway", {}))
    from .inference_table import parse_inference_table_config

    parse_inference_table_config(spec["name"], gateway.get("inference_table_config"))  # a bad one fails here
    if "rate_limits" in outside:  # the older endpoint-level list: the same limits, reported under ai_gateway
        if limits:
            raise ConfigError("Give rate limits once: in ai_gateway.rate_limits or the older rate_limits, not both.")
        limits = parse_rate_limits(outside["rate_limits"])
        gateway = {**gateway, "rate_limits": [limit.to_dict() for limit in limits]} if limits else gateway
    meta = {k: v for k, v in outside.items() if k not in _GATEWAY_KEYS}
    return replace(endpoint, gateway=gateway, rate_limits=limits, meta=meta)


def parse_server_config(raw: dict[str, Any]) -> ServerConfig:
    """A whole server: ``{"endpoints": [...], "host": ..., "port": ...}``, or a single endpoint's spec."""
    if not isinstance(raw, dict):
        raise ConfigError("A serving config is a JSON/YAML object with an `endpoints` list.")
    specs = raw.get("endpoints", [raw] if "name" in raw else None)
    if not isinstance(specs, list) or not specs:
        raise ConfigError("The serving config lists no endpoints: write {\"endpoints\": [{\"name\": \"flights\", "
                          "\"config\": {\"served_entities\": [...]}}]}.")
    endpoints = tuple(parse_endpoint(spec) for spec in specs)
    names = [endpoint.name for endpoint in endpoints]
    if len(set(names)) != len(names):
        raise ConfigError(f"Two endpoints share a name in {names}: endpoint names must be unique.")
    options = {"host": str, "port": int, "auth_token": str, "inference_log": str, "max_request_bytes": int,
               "legacy_routes": bool, "queue_size": int, "scale_to_zero_after_seconds": int,
               "scale_from_zero_timeout_seconds": int}
    if "endpoints" in raw and (unknown := sorted(set(raw) - set(options) - {"endpoints", "events"})):
        raise ConfigError(f"Unknown server setting(s) {unknown}; the settings are {sorted(options)}, `events` and "
                          "`endpoints`.")
    chosen = {}
    for key, kind in options.items():
        if key not in raw:
            continue
        value = raw[key]
        if value is None and key not in ("auth_token", "inference_log"):  # null: the default
            continue
        if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
            wanted = {str: "a string", int: "a whole number", bool: "true or false"}[kind]
            raise ConfigError(f"The server setting {key} must be {wanted}, not {value!r}.")
        chosen[key] = value
    if not 0 < chosen.get("port", 8080) < 65536 or chosen.get("max_request_bytes", 1) <= 0:
        raise ConfigError("port must be 1-65535 and max_request_bytes a positive number of bytes.")
    if chosen.get("queue_size", 0) < 0:
        raise ConfigError("queue_size must be 0 or more: the requests a served entity holds waiting beyond its "
                          "concurrency limit.")
    for key in ("scale_to_zero_after_seconds", "scale_from_zero_timeout_seconds"):
        if chosen.get(key, 1) < 1:
            raise ConfigError(f"{key} must be a whole number of seconds, at least 1.")
    from .events import check_events_config

    return ServerConfig(endpoints=endpoints, events=check_events_config(raw.get("events")), **chosen)


def load_server_config(path: str | Path) -> ServerConfig:
    """Read a serving config file (JSON, or YAML when the name ends in .yml/.yaml)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"No serving config at {path}: write one (see `python -m mldeploy serve --help`).")
    text = path.read_text()
    if path.suffix in (".yml", ".yaml"):
        import yaml

        raw = yaml.safe_load(text)
    else:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{path} is not valid JSON: {error}") from None
    return parse_server_config(raw)
