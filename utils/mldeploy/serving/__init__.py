"""A local model-serving endpoint: Databricks Model Serving's routes and config shapes, on one laptop.

One process hosts several MLflow models in memory behind ``/serving-endpoints/<name>/invocations``, splits
traffic between them (champion/challenger, canary, shadow), takes config changes without dropping a request,
logs every request to an inference log, and counts requests, errors and latency percentiles on ``/metrics``.
Under load it behaves like Model Serving: a served entity's ``workload_size`` limits the requests it scores at
once (429 beyond a short queue), AI Gateway ``rate_limits`` cap calls per minute per endpoint and per token,
and ``scale_to_zero_enabled`` unloads an idle model until the next request. Databricks' own clients
(``mlflow.deployments.get_deploy_client("databricks")``, the SDK's ``WorkspaceClient().serving_endpoints``)
work against it unchanged: ``DATABRICKS_HOST=http://127.0.0.1:<port>`` and ``DATABRICKS_TOKEN=<token>``.

- ``ServingEndpoint.start(config)``: the server in a background process (notebooks, tests, benchmarks)
- ``create_app(config)``: the FastAPI app in this process (tests with FastAPI's TestClient)
- ``python -m mldeploy serve CONFIG``: the server in a terminal

Modules, one job each: ``config`` (the Databricks shapes, checked), ``routing`` (the seeded split),
``models`` (MLflow loading, shared), ``scoring`` (bodies to predictions, and every 4xx), ``service`` (config
swaps, and the endpoint as Databricks describes it), ``concurrency`` (workload sizes, the 429 gate),
``rate_limits`` (AI Gateway calls per minute), ``scale_to_zero``, ``shadow``, ``inference_log``,
``inference_table`` (the log as a Delta table, when ``ai_gateway.inference_table_config`` enables it), ``metrics``,
``app`` (HTTP), ``server`` (the handle), ``cli``.
"""

from typing import Any

# Imported when first used: `python -m mldeploy doctor` should not pay for FastAPI and MLflow's scoring server.
_WHERE = {
    "TOKEN_VARIABLE": "config", "create_app": "app",
    "ConfigError": "config", "EndpointConfig": "config", "ServedModel": "config", "ServerConfig": "config",
    "parse_endpoint_config": "config", "parse_server_config": "config",
    "read_inference_log": "inference_log",
    "ServingEndpoint": "server", "ServingError": "server", "request_body": "server",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        from importlib import import_module

        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "EndpointConfig",
    "ServedModel",
    "ServerConfig",
    "ServingEndpoint",
    "ServingError",
    "TOKEN_VARIABLE",
    "create_app",
    "parse_endpoint_config",
    "parse_server_config",
    "read_inference_log",
    "request_body",
]
