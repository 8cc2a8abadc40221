"""The HTTP face of the server: Databricks-style routes on FastAPI, over ``ServingService``.

Routes (every one but ``/health`` and ``/.well-known/databricks-config`` asks for the bearer token when one is
set; the server may accept several tokens, one per user):

- ``POST /serving-endpoints/{endpoint}/invocations`` — the traffic split picks the served model
- ``POST /serving-endpoints/{endpoint}/served-models/{served}/invocations`` — one served model, no split
- ``POST /model/{registered name}/{version, stage or alias}/invocations`` — the legacy per-version routes
- ``GET|POST /api/2.0/serving-endpoints``, ``GET|DELETE /api/2.0/serving-endpoints/{name}``,
  ``PUT /api/2.0/serving-endpoints/{name}/config``, ``PUT .../{name}/ai-gateway``, ``PUT .../{name}/rate-limits``,
  ``PATCH .../{name}/tags`` — the serving-endpoints API, in its shapes, so that Databricks' own clients
  (``mlflow.deployments.get_deploy_client("databricks")``, the SDK's ``WorkspaceClient().serving_endpoints``)
  work against this server unchanged with ``DATABRICKS_HOST=http://127.0.0.1:<port>``
- ``GET /.well-known/databricks-config`` — the host metadata those clients ask for before anything else
- ``GET /metrics`` (Prometheus text), ``POST /inference-log/flush``, ``GET /health``, ``GET /version``

A served model without a concurrency limit is scored on the event loop thread rather than a thread pool: a
one-row model call is shorter than a thread hand-off, and one process scores one request at a time under the
GIL anyway (a version that moved scoring to worker threads under concurrency measured no faster on 2 cores).
One with a ``workload_size`` is scored on worker threads, as many at once as its size allows
(``concurrency``). An endpoint's AI Gateway rate limits are checked before a request is routed
(``rate_limits``); a served model with ``scale_to_zero_enabled`` leaves memory when idle and comes back with
the next request (``scale_to_zero``). Config changes load models on a worker thread, so requests keep flowing
while a new version loads.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
import re
import time
from contextlib import nullcontext
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .config import (TOKEN_VARIABLE, ConfigError, ServerConfig, load_server_config, parse_endpoint,
                     parse_endpoint_config, parse_server_config)
from .events import EventPublisher
from .inference_log import InferenceLog
from .inference_table import open_inference_tables
from .metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from .metrics import CapacityCollector, ServingMetrics
from .models import LoadedModel
from .rate_limits import RateLimiter, parse_ai_gateway, parse_rate_limits
from .scale_to_zero import ScaleToZero
from .scoring import RequestError, decode_body, model_input, predict, predictions_json, take_client_request_id
from .service import EndpointState, ServingService
from .shadow import ShadowWorker

JSON = "application/json"
_HTTP_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE"}
_ROUTES_HELP = ("POST /serving-endpoints/<name>/invocations, POST /serving-endpoints/<name>/served-models/<served>/"
                "invocations, POST /model/<registered model>/<version or stage>/invocations, GET /metrics, "
                "GET|POST /api/2.0/serving-endpoints, GET|DELETE /api/2.0/serving-endpoints/<name>, "
                "PUT /api/2.0/serving-endpoints/<name>/config, PUT /api/2.0/serving-endpoints/<name>/ai-gateway, "
                "PUT /api/2.0/serving-endpoints/<name>/rate-limits, PATCH /api/2.0/serving-endpoints/<name>/tags")
#: What ``GET /.well-known/databricks-config`` answers: Databricks' clients read a workspace host's metadata there
#: before their first call (databricks-sdk's ``Config._resolve_host_metadata``; a 404 makes them log a warning on
#: every client created). A workspace, one fixed id, and no ``oidc_endpoint``: this server takes bearer tokens
#: only, so the SDK's OAuth discovery stays unset.
HOST_METADATA = {"workspace_id": "1", "host_type": "WORKSPACE_HOST"}
#: Who calls when the server asks for no token: every caller is this one user (for per-user rate limits).
ANONYMOUS = "anonymous"


def _error(status: int, message: str, code: str | None = None) -> Response:
    return Response(json.dumps({"error_code": code or _HTTP_CODES.get(status, "BAD_REQUEST"), "message": message}),
                    status_code=status, media_type=JSON)


class ServingApp:
    """The service plus what each request needs around it: auth, body limits, logging, metrics, shadows."""

    def __init__(self, server: ServerConfig, auth_token: str | None, inference_log: str | os.PathLike | None) -> None:
        self.server = server
        # One or more tokens (comma- or space-separated), each a user: Authorization headers to accept.
        self.auth = [f"Bearer {token}".encode() for token in re.split(r"[\s,]+", auth_token or "") if token]
        self.metrics = ServingMetrics()
        self.tables = open_inference_tables(server, inference_log)
        self.log = InferenceLog(inference_log, on_written=None if self.tables is None else self.tables.write)
        self.service = ServingService(server)
        self.rate_limiter = RateLimiter()
        self.scaler = ScaleToZero(self.service, server.scale_to_zero_after_seconds,
                                  server.scale_from_zero_timeout_seconds)
        self._reaper: asyncio.Task | None = None
        self.metrics.register(CapacityCollector(self._gates, lambda: self.rate_limiter.refused, self._scaling))
        self.shadows = ShadowWorker(self._score_shadow, on_drop=self._count_drop)
        self.events = None if server.events is None else EventPublisher(**server.events)
        self._closed = False

    def _count_drop(self) -> None:
        self.metrics.shadow_dropped += 1

    # --- the pieces of a request ----------------------------------------------------------------------

    def _gates(self) -> list[tuple[str, str, Any]]:
        return [(name, served, gate) for name, state in self.service.endpoints.items()
                for served, gate in state.gates.items()]

    def _scaling(self) -> list[tuple[str, str, bool, int, int]]:
        """(endpoint, served model, loaded, times scaled to zero, times loaded again) per scale-to-zero model."""
        scaler = self.scaler
        return [(name, served, state.models[served].model is not None,
                 scaler.scaled_to_zero.get(state.models[served].uri, 0),
                 scaler.scaled_from_zero.get(state.models[served].uri, 0))
                for name, state in self.service.endpoints.items() for served in sorted(state.scale_to_zero)]

    async def start(self) -> None:
        """At start-up: begin unloading idle scale-to-zero models."""
        self._reaper = asyncio.ensure_future(self.scaler.run())

    def authorize(self, request: Request) -> str:
        """The calling user (which token, never the token itself), or RequestError 401."""
        if not self.auth:
            return ANONYMOUS
        given = request.headers.get("authorization")
        if given is None:
            raise RequestError(401, "UNAUTHENTICATED", "This server needs a bearer token: send the header "
                               "'Authorization: Bearer <token>'.")
        given_bytes = given.encode()
        user = None
        for number, expected in enumerate(self.auth, start=1):  # compare with all: the time tells nothing
            if hmac.compare_digest(given_bytes, expected):
                user = f"user-{number}"
        if user is None:
            raise RequestError(401, "UNAUTHENTICATED", "The bearer token is wrong (or the header is not "
                               "'Authorization: Bearer <token>').")
        return user

    async def read_body(self, request: Request) -> bytes:
        limit = self.server.max_request_bytes
        declared = request.headers.get("content-length", "")
        too_large = RequestError(413, "REQUEST_TOO_LARGE", f"The body is larger than this server accepts "
                                 f"({limit:,} bytes): send fewer rows per request.")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    async def invoke(self, request: Request, endpoint: str | None, served: str | None,
                     legacy: tuple[str, str] | None = None) -> Response:
        """Score one request: pick the served model, parse, predict, answer; log and count it off the path."""
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        state: EndpointState | None = None
        model: LoadedModel | None = None
        label, served_name, body, payload = endpoint or "", "", b"", None
        client_id = request.headers.get("client-request-id")
        headers: dict[str, str] = {}
        user: str | None = None  # unknown until the token is checked: a 401 logs no requester
        try:
            user = self.authorize(request)
            gate = None
            if legacy is not None:
                label = f"model/{legacy[0]}/{legacy[1]}"
                model = await self._legacy(*legacy)
                served_name = f"{legacy[0]}-{model.uri.rsplit('/', 1)[-1]}"
            else:
                state = self.service.endpoints.get(endpoint)  # one snapshot for the whole request
                if state is None and endpoint in self.service.pending:
                    raise RequestError(503, "TEMPORARILY_UNAVAILABLE", f"Endpoint {endpoint!r} is being created: its "
                                       "models are loading. Retry in a moment, or wait until its state.ready is READY "
                                       "(the SDK's create_and_wait does).", headers={"Retry-After": "1"})
                if state is None:
                    raise self._missing(endpoint)
                if served is not None and served not in state.models:
                    raise RequestError(404, "RESOURCE_DOES_NOT_EXIST", f"Endpoint {endpoint!r} has no served model "
                                       f"{served!r}; it serves {sorted(state.models)}.")
                if state.config.rate_limits:
                    self.rate_limiter.check(state.config.name, state.config.rate_limits, user)
                served_name = served or state.router.choose()
                model = state.models[served_name]
                gate = state.gates.get(served_name)
            body = await self.read_body(request)
            payload = decode_body(body, request.headers.get("content-type"))
            client_id = take_client_request_id(payload, client_id)
            # Scale to zero: the model stays in memory while in use, and is loaded again first if it left.
            scaled = state is not None and served_name in state.scale_to_zero
            async with (self.scaler.using(model, gate.label if gate else f"served model {served_name!r}")
                        if scaled else nullcontext()):
                if gate is None:  # no concurrency limit: scored here, on the event loop
                    answer = _score(payload, model, served_name)
                else:  # a place among the served model's `limit`, on a worker thread, or 429
                    answer = await gate.run(_score, payload, model, served_name)
            status = 200
        except RequestError as refused:
            answer, status = refused.to_json(), refused.status
            headers.update(refused.headers)
        except Exception as error:  # a model that fails on valid input: say so, keep serving
            answer = json.dumps({"error_code": "INTERNAL_ERROR", "message": f"The model {served_name!r} failed: "
                                 f"{type(error).__name__}: {error}"})
            status = 500
        elapsed = time.perf_counter() - started
        self._record(request_id, label, served_name, model, state, "live", status, elapsed, body, answer, client_id,
                     user)
        if state is not None and payload is not None and state.config.shadows and served is None and status != 429:
            self.shadows.submit((request_id, client_id, state, payload, body))
        headers["x-request-id"] = request_id
        if served_name:
            headers["served-model-name"] = served_name
        return Response(answer, status_code=status, media_type=JSON, headers=headers)

    async def _legacy(self, name: str, version: str) -> LoadedModel:
        if not self.server.legacy_routes:
            raise RequestError(404, "RESOURCE_DOES_NOT_EXIST", "Legacy /model/... routes are off on this server; "
                               "use /serving-endpoints/<name>/invocations.")
        try:
            return await run_in_threadpool(self.service.legacy_model, name, version)
        except ConfigError as error:
            raise RequestError(404, "RESOURCE_DOES_NOT_EXIST", str(error)) from None

    def _score_shadow(self, job: tuple) -> None:
        request_id, client_id, state, payload, body = job
        for shadow in state.config.shadows:
            model = state.models[shadow.name]
            started = time.perf_counter()
            try:
                answer, status = _score(payload, model, shadow.name), 200
            except RequestError as refused:
                answer, status = refused.to_json(), refused.status
            except Exception as error:
                answer, status = json.dumps({"error_code": "INTERNAL_ERROR", "message": str(error)}), 500
            self._record(request_id, state.config.name, shadow.name, model, state, "shadow", status,
                         time.perf_counter() - started, body, answer, client_id)

    def _record(self, request_id: str, endpoint: str, served: str, model: LoadedModel | None,
                state: EndpointState | None, role: str, status: int, seconds: float, body: bytes, answer: str,
                client_id: str | None, requester: str | None = None) -> None:
        self.metrics.observe(endpoint, served or "(none)", role, status, seconds)
        now = time.time()
        row = {
            "request_id": request_id,
            "client_request_id": client_id,
            "timestamp_ms": int(now * 1000),
            "date": datetime.fromtimestamp(now, timezone.utc).date().isoformat(),
            "endpoint_name": endpoint,
            "served_model_name": served or None,
            "model_uri": model.uri if model else None,
            "config_version": state.version if state else None,
            "role": role,
            "status_code": status,
            "execution_time_ms": round(seconds * 1000, 3),
            "request": body.decode("utf-8", errors="replace"),
            "response": answer if status < 400 else None,
            "error": answer if status >= 400 else None,
            "requester": requester,
        }
        self.log.append(row)
        if self.events is not None and role == "live" and status == 200:
            self.events.publish(row, answer)

    # --- the serving-endpoints API ---------------------------------------------------------------------

    async def read_json(self, request: Request) -> Any:
        self.authorize(request)
        body = await self.read_body(request)
        try:
            return json.loads(body or b"null")
        except (ValueError, RecursionError) as error:
            raise RequestError(400, "MALFORMED_REQUEST", f"The body is not valid JSON: {error}") from None

    def endpoint(self, name: str) -> EndpointState:
        state = self.service.endpoints.get(name)
        if state is None:
            raise self._missing(name)
        return state

    def _missing(self, name: str) -> RequestError:
        return RequestError(404, "RESOURCE_DOES_NOT_EXIST", f"No endpoint {name!r}; this server hosts "
                            f"{sorted(self.service.endpoints)}.")

    def describe(self, name: str) -> Response:
        """``GET /api/2.0/serving-endpoints/{name}``'s answer (an endpoint being created included)."""
        try:
            described = self.service.describe(name)
        except KeyError:
            raise self._missing(name) from None
        return Response(json.dumps(described, default=str), media_type=JSON)

    def close(self) -> None:
        """Score the shadow copies still queued, write the log, stop both threads; safe to call twice."""
        if not self._closed:
            self._closed = True
            if self._reaper is not None:
                self._reaper.cancel()
            self.shadows.drain()
            self.shadows.close()
            self.log.close()
            if self.events is not None:
                self.events.close()


def _score(payload: dict[str, Any] | str, model: LoadedModel, served_name: str) -> str:
    """Parse the body against the model's signature, predict, and write the answer's JSON."""
    data, params = model_input(payload, model)
    return predictions_json(predict(model, data, params), served_name)


def _as_server_config(config: ServerConfig | dict | str | os.PathLike) -> ServerConfig:
    if isinstance(config, ServerConfig):
        return config
    if isinstance(config, dict):
        return parse_server_config(config)
    return load_server_config(Path(config))


_UNSET: Any = object()


def create_app(config: ServerConfig | dict | str | os.PathLike, auth_token: str | None = _UNSET,
               inference_log: str | os.PathLike | None = _UNSET) -> FastAPI:
    """The FastAPI app for ``config`` (a ServerConfig, a dict, or a JSON/YAML file); models load now.

    ``auth_token`` defaults to ``$MLDEPLOY_SERVING_TOKEN``, then the config's ``auth_token``; ``inference_log``
    (a folder, or None for no log) defaults to the config's. In tests, use it with FastAPI's TestClient.
    """
    server = _as_server_config(config)
    token = (os.environ.get(TOKEN_VARIABLE) or server.auth_token) if auth_token is _UNSET else auth_token
    folder = server.inference_log if inference_log is _UNSET else inference_log
    serving = ServingApp(server, token, folder)
    app = FastAPI(title="mldeploy model serving", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.serving = serving
    app.router.add_event_handler("startup", serving.start)
    app.router.add_event_handler("shutdown", serving.close)

    @app.exception_handler(RequestError)
    async def refused(_request: Request, error: RequestError) -> Response:
        return Response(error.to_json(), status_code=error.status, media_type=JSON, headers=error.headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if error.status_code == 404:
            return _error(404, f"No route {request.method} {request.url.path}. This server answers: {_ROUTES_HELP}.")
        if error.status_code == 405:
            return _error(405, f"{request.method} is not allowed on {request.url.path}: scoring routes take POST "
                          "with a JSON body; the API routes take the methods listed in the docs.")
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> Response:
        return _error(400, f"Invalid request: {error.errors()}")

    @app.get("/health")
    @app.get("/ping")
    async def health() -> Response:
        return Response(json.dumps({"status": "ok", "endpoints": sorted(serving.service.endpoints)}), media_type=JSON)

    @app.get("/.well-known/databricks-config")
    async def host_metadata() -> Response:
        return Response(json.dumps(HOST_METADATA), media_type=JSON)

    @app.get("/version")
    async def version() -> Response:
        import mlflow

        return Response(json.dumps({"mlflow": mlflow.__version__}), media_type=JSON)

    @app.post("/serving-endpoints/{endpoint}/invocations")
    async def invocations(request: Request, endpoint: str) -> Response:
        return await serving.invoke(request, endpoint, None)

    @app.post("/serving-endpoints/{endpoint}/served-models/{served}/invocations")
    async def served_invocations(request: Request, endpoint: str, served: str) -> Response:
        return await serving.invoke(request, endpoint, served)

    @app.post("/model/{name}/{version}/invocations")
    async def legacy_invocations(request: Request, name: str, version: str) -> Response:
        return await serving.invoke(request, None, None, legacy=(name, version))

    @app.get("/metrics")
    async def metrics(request: Request) -> Response:
        serving.authorize(request)
        return Response(serving.metrics.render(), media_type=METRICS_CONTENT_TYPE)

    @app.post("/inference-log/flush")
    async def flush(request: Request) -> Response:
        serving.authorize(request)
        await run_in_threadpool(serving.shadows.drain)
        written = await run_in_threadpool(serving.log.flush)
        folder = None if serving.log.folder is None else str(serving.log.folder.resolve())
        return Response(json.dumps({"flushed": written, "folder": folder, "dropped": serving.log.dropped}),
                        media_type=JSON)

    @app.get("/api/2.0/serving-endpoints")
    async def list_endpoints(request: Request) -> Response:
        serving.authorize(request)
        return Response(json.dumps({"endpoints": serving.service.describe_all()}, default=str), media_type=JSON)

    @app.get("/api/2.0/serving-endpoints/{name}")
    async def get_endpoint(request: Request, name: str) -> Response:
        serving.authorize(request)
        return serving.describe(name)

    @app.post("/api/2.0/serving-endpoints")
    async def create_endpoint(request: Request) -> Response:
        spec = await serving.read_json(request)
        state = await _apply(lambda: serving.service.apply(parse_endpoint(spec), create=True))
        return serving.describe(state.config.name)

    @app.put("/api/2.0/serving-endpoints/{name}/config")
    async def update_config(request: Request, name: str) -> Response:
        config = await serving.read_json(request)
        serving.endpoint(name)
        await _apply(lambda: serving.service.apply(parse_endpoint_config(name, config)))
        return serving.describe(name)

    @app.put("/api/2.0/serving-endpoints/{name}/ai-gateway")
    async def put_ai_gateway(request: Request, name: str) -> Response:
        body = await serving.read_json(request)
        serving.endpoint(name)
        gateway, limits = _checked(parse_ai_gateway, body)
        await _apply(lambda: serving.service.update_endpoint(name, gateway=gateway, rate_limits=limits))
        return Response(json.dumps(gateway), media_type=JSON)

    @app.put("/api/2.0/serving-endpoints/{name}/rate-limits")
    async def put_rate_limits(request: Request, name: str) -> Response:
        body = await serving.read_json(request)
        serving.endpoint(name)
        if not isinstance(body, dict) or set(body) - {"rate_limits"}:
            raise RequestError(400, "INVALID_PARAMETER_VALUE", "The body is {\"rate_limits\": [{\"calls\": 100, "
                               "\"key\": \"endpoint\", \"renewal_period\": \"minute\"}]}.")
        limits = _checked(parse_rate_limits, body.get("rate_limits", []))
        gateway = {key: value for key, value in serving.endpoint(name).config.gateway.items() if key != "rate_limits"}
        listed = [limit.to_dict() for limit in limits]
        gateway = {**gateway, **({"rate_limits": listed} if listed else {})}
        await _apply(lambda: serving.service.update_endpoint(name, gateway=gateway, rate_limits=limits))
        return Response(json.dumps({"rate_limits": listed}), media_type=JSON)

    @app.patch("/api/2.0/serving-endpoints/{name}/tags")
    async def patch_tags(request: Request, name: str) -> Response:
        body = await serving.read_json(request)
        state = serving.endpoint(name)
        tags = _checked(_patched_tags, state.config.meta.get("tags", []), body)
        await _apply(lambda: serving.service.update_endpoint(name, meta={**state.config.meta, "tags": tags}))
        return Response(json.dumps({"tags": tags}), media_type=JSON)

    @app.delete("/api/2.0/serving-endpoints/{name}")
    async def delete_endpoint(request: Request, name: str) -> Response:
        serving.authorize(request)
        serving.endpoint(name)
        await _apply(lambda: serving.service.delete(name))  # on a worker thread: a config may be loading
        serving.rate_limiter.forget(name)
        return Response("{}", media_type=JSON)

    return app


def _checked(parse: Any, *args: Any) -> Any:
    """``parse(*args)``, its ConfigError a 400 with the message."""
    try:
        return parse(*args)
    except ConfigError as error:
        raise RequestError(400, "INVALID_PARAMETER_VALUE", str(error)) from None


def _patched_tags(tags: list[dict[str, Any]], body: Any) -> list[dict[str, Any]]:
    """``PATCH .../tags``: ``{"add_tags": [{"key", "value"}], "delete_tags": [key, ...]}`` applied to ``tags``."""
    usage = 'The body is {"add_tags": [{"key": "team", "value": "delays"}], "delete_tags": ["old-key"]}.'
    if not isinstance(body, dict) or set(body) - {"add_tags", "delete_tags"}:
        raise ConfigError(usage)
    added, deleted = body.get("add_tags", []), body.get("delete_tags", [])
    if (not isinstance(added, list) or not all(isinstance(tag, dict) and isinstance(tag.get("key"), str)
                                               and set(tag) <= {"key", "value"} for tag in added)
            or not isinstance(deleted, list) or not all(isinstance(key, str) for key in deleted)):
        raise ConfigError(usage)
    replaced = {tag["key"] for tag in added} | set(deleted)
    return [tag for tag in tags if tag["key"] not in replaced] + added


async def _apply(change: Any) -> Any:
    """Run a change of the endpoint table on a worker thread (it waits while a config loads); its mistakes are 400s."""
    try:
        return await run_in_threadpool(change)
    except ConfigError as error:
        raise RequestError(400, "INVALID_PARAMETER_VALUE", str(error)) from None
    except KeyError as error:
        raise RequestError(404, "RESOURCE_DOES_NOT_EXIST", f"No endpoint {error.args[0]!r}.") from None
