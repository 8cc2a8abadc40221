"""``python -m mldeploy serve CONFIG``: run the serving endpoint in the foreground with uvicorn.

A config file (JSON or YAML) in the Databricks shapes::

    {"endpoints": [{"name": "flights",
                    "config": {"served_entities": [
                                   {"name": "champion", "entity_name": "flight_delay", "entity_version": "1",
                                    "workload_size": "Small"},
                                   {"name": "challenger", "entity_name": "flight_delay", "entity_version": "2",
                                    "workload_size": "Small", "scale_to_zero_enabled": true}],
                               "traffic_config": {"routes": [
                                   {"served_model_name": "champion", "traffic_percentage": 80},
                                   {"served_model_name": "challenger", "traffic_percentage": 20}]}},
                    "ai_gateway": {"rate_limits": [{"calls": 600, "key": "user", "renewal_period": "minute"}]}}],
     "inference_log": "work/inference_log", "scale_to_zero_after_seconds": 1800}

The bearer token comes from $MLDEPLOY_SERVING_TOKEN (several, comma-separated, are several users; or the
config's auth_token); the models from the MLflow tracking server in $MLFLOW_TRACKING_URI (default: this
folder's MLflow database). Model calls use one OpenMP thread each unless $OMP_NUM_THREADS says otherwise (see
``serve``).
"""

from __future__ import annotations

import argparse
import sys

from .config import ConfigError, load_server_config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the serving config, JSON or YAML")
    parser.add_argument("--host", help="address to listen on (default: the config's host, else 127.0.0.1: "
                        "this machine only)")
    parser.add_argument("--port", type=int, help="port (default: the config's port, else 8080)")


def serve(config: str, host: str | None = None, port: int | None = None) -> int:
    """Load every model of the config, then answer requests until interrupted."""
    import os

    # One thread of OpenMP per model call, set before scikit-learn loads its OpenMP runtime. A request scores a
    # few rows, too few to share out; and on a busy laptop a second OpenMP thread waiting for a core it cannot
    # get turned a 1 ms call into hundreds of ms (measured: one-row predict_proba p99 505 ms vs 1.3 ms). Set
    # OMP_NUM_THREADS yourself to override.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import uvicorn

    from .app import create_app
    from .config import TOKEN_VARIABLE

    try:
        server = load_server_config(config)
        app = create_app(server)
    except ConfigError as error:
        print(f"python -m mldeploy serve: {error}", file=sys.stderr)
        return 2
    host = host or server.host
    port = port or server.port
    token = os.environ.get(TOKEN_VARIABLE) or server.auth_token
    if host not in ("127.0.0.1", "localhost", "::1") and not token:
        print(f"Warning: listening on {host} without a bearer token: anyone who can reach this machine can call "
              f"the models. Set {TOKEN_VARIABLE} to require one.", file=sys.stderr)
    endpoints = ", ".join(f"http://{host}:{port}/serving-endpoints/{e.name}/invocations" for e in server.endpoints)
    print(f"Serving {endpoints}", flush=True)
    # No access log: the inference log records every request, off the request path.
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mldeploy serve", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    return serve(args.config, args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
