"""``ServingEndpoint``: the serving server started from a notebook or a test, and a client for it.

The server runs in its own process (``python -m mldeploy serve``) through ``BackgroundServer``, like every
server in the course: a reserved loopback port, a ready check, its log in ``work/``, and a stop that
always stops. In-process scoring would share the notebook's GIL and hide the HTTP costs a real client pays::

    with ServingEndpoint.start(config) as server:
        server.invoke(frame)                       # {"predictions": [...], "served_model_name": "champion"}
        server.update_config({...})                # PUT a new split: no request is dropped
        server.inference_log()                     # a pandas DataFrame of every request so far
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..paths import lesson_dir
from ..servers import BackgroundServer
from .config import TOKEN_VARIABLE, ServerConfig, parse_server_config
from .inference_log import read_inference_log


class ServingError(RuntimeError):
    """The server refused a request; ``status`` and ``body`` hold its answer (message and expected schema)."""

    def __init__(self, status: int, body: Any) -> None:
        message = body.get("message", body) if isinstance(body, dict) else body
        super().__init__(f"{status}: {message}")
        self.status = status
        self.body = body


def request_body(data: Any) -> dict[str, Any]:
    """A scoring body for ``data``: a pandas DataFrame becomes ``dataframe_split``; a dict is sent as is."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        split = json.loads(data.to_json(orient="split", index=False, date_format="iso"))
        return {"dataframe_split": {"columns": split["columns"], "data": split["data"]}}
    if isinstance(data, dict):
        return data
    raise TypeError(f"invoke takes a pandas DataFrame or a request body (dict), not {type(data).__name__}.")


class ServingEndpoint:
    """A running serving server: ``url``, ``invoke``, ``update_config``, ``metrics``, ``inference_log``, ``stop``."""

    def __init__(self, background: BackgroundServer, config: ServerConfig, token: str | None,
                 log_folder: Path | None) -> None:
        import httpx

        self.background = background
        self.config = config
        self.url = background.url
        self.log = background.log
        self.inference_log_folder = log_folder
        self.endpoint_names = [endpoint.name for endpoint in config.endpoints]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=60)

    @classmethod
    def start(cls, config: dict[str, Any] | str | os.PathLike, port: int = 8080,
              token: str | Sequence[str] | None = None, inference_log: str | os.PathLike | None = "inference_log",
              timeout: float = 180) -> ServingEndpoint:
        """Start a server for ``config`` (dict or JSON/YAML file) on loopback; returns once every model loaded.

        ``token``: require ``Authorization: Bearer <token>`` (passed to the server in its environment, never on
        its command line); a list of tokens gives several users (per-user rate limits count each one), and this
        handle sends the first. ``inference_log``: a folder, relative to ``work/``; None for no log. The models
        come from this process's MLflow tracking and registry URIs.
        """
        import mlflow

        if isinstance(config, (str, os.PathLike)):
            raw = json.loads(json.dumps(_raw_config(Path(config))))
        else:
            raw = json.loads(json.dumps(config))  # a copy, and a check that it is JSON
        parse_server_config(raw)  # refuse a bad config here, with its message, before starting anything
        folder = None
        if inference_log is not None:
            folder = (lesson_dir() / inference_log).resolve()
        if isinstance(raw, dict) and "endpoints" not in raw:
            raw = {"endpoints": [raw]}
        raw = {**raw, "inference_log": None if folder is None else str(folder)}
        raw.pop("auth_token", None)
        written = lesson_dir() / "serving" / f"config-{uuid.uuid4().hex[:8]}.json"
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text(json.dumps(raw, indent=2))
        tokens = [token] if isinstance(token, str) else list(token or [])
        env = {"MLFLOW_TRACKING_URI": mlflow.get_tracking_uri(), "MLFLOW_REGISTRY_URI": mlflow.get_registry_uri(),
               TOKEN_VARIABLE: ",".join(tokens)}
        background = BackgroundServer(
            "mldeploy-serving",
            lambda chosen: [sys.executable, "-m", "mldeploy", "serve", str(written), "--host", "127.0.0.1",
                            "--port", str(chosen)],
            port, ready_path="/health", timeout=timeout, env=env,
        )
        return cls(background, parse_server_config(raw), tokens[0] if tokens else None, folder)

    # --- scoring ---------------------------------------------------------------------------------------

    def _endpoint(self, endpoint: str | None) -> str:
        return endpoint or self.endpoint_names[0]

    def invocations_url(self, endpoint: str | None = None, served_model: str | None = None) -> str:
        """The URL a client POSTs to (one served model's own URL when ``served_model`` is given)."""
        path = f"/serving-endpoints/{self._endpoint(endpoint)}"
        if served_model:
            path += f"/served-models/{served_model}"
        return f"{self.url}{path}/invocations"

    def invoke(self, data: Any, endpoint: str | None = None, served_model: str | None = None,
               client_request_id: str | None = None) -> dict[str, Any]:
        """Score ``data`` (DataFrame or body dict); the answer's JSON, or ServingError with the server's message.

        ``client_request_id``: your own id for the request, logged with it in the inference log (to join labels).
        """
        body = request_body(data)
        if client_request_id is not None:
            body = {**body, "client_request_id": client_request_id}
        answer = self.client.post(self.invocations_url(endpoint, served_model), json=body)
        return self._json(answer)

    # --- the serving-endpoints API ---------------------------------------------------------------------

    def get(self, endpoint: str | None = None) -> dict[str, Any]:
        """The endpoint's description: served models, traffic routes, config version."""
        return self._json(self.client.get(f"/api/2.0/serving-endpoints/{self._endpoint(endpoint)}"))

    def update_config(self, config: dict[str, Any], endpoint: str | None = None) -> dict[str, Any]:
        """PUT a new config (split, promotion, rollback); returns once the new models serve."""
        return self._json(self.client.put(f"/api/2.0/serving-endpoints/{self._endpoint(endpoint)}/config",
                                          json=config))

    def metrics(self) -> str:
        """The Prometheus text of ``/metrics``."""
        answer = self.client.get("/metrics")
        if answer.status_code >= 400:
            raise ServingError(answer.status_code, answer.text)
        return answer.text

    def inference_log(self):
        """Every logged request so far (shadow answers included) as a pandas DataFrame."""
        if self.inference_log_folder is None:
            raise RuntimeError("This server keeps no inference log: start it with inference_log='inference_log'.")
        self._json(self.client.post("/inference-log/flush"))
        return read_inference_log(self.inference_log_folder)

    def inference_table_path(self, endpoint: str | None = None) -> str:
        """The Delta inference table's folder, for ``spark.read.format("delta").load(path)`` (while it runs, too).

        The endpoint must enable it: ``ai_gateway: {"inference_table_config": {"enabled": true, ...}}``.
        """
        from .inference_table import endpoint_table_configs

        name = self._endpoint(endpoint)
        configs = {config.endpoint: config for config in endpoint_table_configs(self.config)}
        if name not in configs or self.inference_log_folder is None:
            raise RuntimeError(f"Endpoint {name!r} keeps no inference table: give it ai_gateway "
                               '{"inference_table_config": {"enabled": true}} and keep the inference log on.')
        return str(configs[name].path(self.inference_log_folder))

    @staticmethod
    def _json(answer: Any) -> dict[str, Any]:
        try:
            body = answer.json()
        except ValueError:
            body = answer.text
        if answer.status_code >= 400:
            raise ServingError(answer.status_code, body)
        return body

    # --- lifetime --------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.background.running

    def stop(self) -> None:
        """Stop the server and free its port; safe to call twice."""
        self.client.close()
        self.background.stop()

    def __enter__(self) -> ServingEndpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<ServingEndpoint {self.endpoint_names} at {self.url}, {'running' if self.running else 'stopped'}>"


def _raw_config(path: Path) -> Any:
    text = path.read_text()
    if path.suffix in (".yml", ".yaml"):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)
