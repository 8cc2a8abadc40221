"""The inference table: an endpoint's requests and answers in a Delta table, beside the JSON-lines log.

Databricks logs an endpoint's traffic to an AI Gateway inference table when its ``ai_gateway`` says so::

    {"ai_gateway": {"inference_table_config": {"enabled": true, "catalog_name": "main",
                                                "schema_name": "serving", "table_name_prefix": "delays"}}}

Here the table is a Delta folder under the server's working folder (beside the inference log folder):
``<log folder>/../inference_tables/<catalog_name>/<schema_name>/<table_name_prefix>_payload`` (Databricks names
it ``<catalog>.<schema>.<prefix>_payload``); ``table_name_prefix`` defaults to the endpoint's name, catalog and
schema to ``main`` and ``default``. Read it with ``spark.read.format("delta").load(path)`` while the endpoint
runs (``ServingEndpoint.inference_table_path()`` gives the path). It is **off unless the config enables it**, as
on Databricks: each batch is a Delta commit (a few files per second), which a lesson that does not read the table
should not pay for, and lessons 06/07 read the JSON-lines log. The setting is read when the server starts: an
endpoint created, or an ``ai_gateway`` changed, while it runs starts or stops no table until the next start.

Columns, from "Monitor served models using AI Gateway-enabled inference tables"
(https://docs.databricks.com/ai-gateway/inference-tables.html): ``request_date`` (partition column),
``databricks_request_id``, ``client_request_id``, ``request_time``, ``status_code``, ``sampling_fraction``,
``execution_duration_ms``, ``request``, ``response``, ``served_entity_id``, ``logging_error_codes``,
``requester``. What differs: ``served_entity_id`` holds the served entity's *name* (this server has no entity
ids); ``sampling_fraction`` is always 1.0 (every request is logged); ``requester`` is the caller as the rate
limiter knows it, never the token: ``user-N`` for the N-th of the server's tokens, ``anonymous`` when it asks for none,
null when the request was refused before its token was checked (401) or came from an older log; a refused request's error body is
in ``response``; shadow copies are not logged (they answered no client; they stay in the JSON-lines log).

Written with delta-rs (the ``deltalake`` package), not Spark: a JVM in the server would cost seconds and
hundreds of MB. The writer is the inference log's background thread: after each JSON-lines file is renamed into
place, its rows are appended as one Delta commit whose commit info names that file. The JSON-lines log is
thus the write-ahead log: on SIGTERM the server flushes both; after a SIGKILL, the next start appends the rows of
every log file newer than the table's last recorded file and says ``recovered N rows`` in its log (what neither
reached, the at most one second of rows still queued in memory, is lost: the log says how to check).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .config import ConfigError

#: The commit-info key naming the last JSON-lines file a commit holds (the recovery point).
LOG_FILE_KEY = "mldeploy.inference_log_file"
COLUMNS = ("request_date", "databricks_request_id", "client_request_id", "request_time", "status_code",
           "sampling_fraction", "execution_duration_ms", "request", "response", "served_entity_id",
           "logging_error_codes", "requester")
_FIELDS = ("enabled", "catalog_name", "schema_name", "table_name_prefix")


@dataclass(frozen=True)
class InferenceTableConfig:
    """One endpoint's ``ai_gateway.inference_table_config``, checked."""

    endpoint: str
    catalog_name: str = "main"
    schema_name: str = "default"
    table_name_prefix: str = ""

    def path(self, log_folder: str | os.PathLike[str]) -> Path:
        """Where the table lives for a server whose inference log is ``log_folder``."""
        prefix = self.table_name_prefix or self.endpoint
        return (Path(log_folder).parent / "inference_tables" / self.catalog_name / self.schema_name
                / f"{prefix}_payload")


def parse_inference_table_config(endpoint: str, raw: Any) -> InferenceTableConfig | None:
    """The endpoint's table, or None when ``raw`` is absent or ``enabled`` is false; a clear error otherwise."""
    if raw is None:
        return None
    example = '{"enabled": true, "catalog_name": "main", "schema_name": "serving", "table_name_prefix": "delays"}'
    if not isinstance(raw, dict):
        raise ConfigError(f"ai_gateway.inference_table_config of {endpoint!r} must be an object such as {example}.")
    if unknown := sorted(set(raw) - set(_FIELDS)):
        raise ConfigError(f"ai_gateway.inference_table_config of {endpoint!r} has unknown field(s) {unknown}; it "
                          f"takes {', '.join(_FIELDS)}, as in {example}.")
    if not isinstance(raw.get("enabled", False), bool):
        raise ConfigError(f"ai_gateway.inference_table_config.enabled of {endpoint!r} must be true or false.")
    names = {}
    for key in _FIELDS[1:]:
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, str) or not value or not all(c.isalnum() or c in "_-" for c in value):
            raise ConfigError(f"ai_gateway.inference_table_config.{key} of {endpoint!r} must be a name of letters, "
                              f"digits, '_' or '-' (it becomes a folder), not {value!r}.")
        names[key] = value
    if not raw.get("enabled", False):
        return None
    return InferenceTableConfig(endpoint=endpoint, **names)


def table_row(row: dict[str, Any]) -> dict[str, Any]:
    """An inference-log row in the inference table's columns."""
    millis = int(row["timestamp_ms"])
    status = int(row["status_code"])
    return {
        "request_date": datetime.fromtimestamp(millis / 1000, timezone.utc).date(),
        "databricks_request_id": row["request_id"],
        "client_request_id": row.get("client_request_id"),
        "request_time": datetime.fromtimestamp(millis / 1000, timezone.utc),
        "status_code": status,
        "sampling_fraction": 1.0,
        "execution_duration_ms": int(round(float(row.get("execution_time_ms") or 0))),
        "request": row.get("request"),
        "response": row.get("response") if status < 400 else row.get("error"),
        "served_entity_id": row.get("served_model_name"),
        "logging_error_codes": [],
        "requester": row.get("requester"),
    }


def _schema():
    import pyarrow as pa

    return pa.schema([
        ("request_date", pa.date32()), ("databricks_request_id", pa.string()), ("client_request_id", pa.string()),
        ("request_time", pa.timestamp("us", tz="UTC")), ("status_code", pa.int32()),
        ("sampling_fraction", pa.float64()), ("execution_duration_ms", pa.int64()), ("request", pa.string()),
        ("response", pa.string()), ("served_entity_id", pa.string()), ("logging_error_codes", pa.list_(pa.string())),
        ("requester", pa.string()),
    ])


class InferenceTables:
    """The Delta tables of the endpoints that enable one; ``write`` is called by the inference log's writer."""

    #: Compact a table after this many appends: each append adds a small file per request date, and a reader
    #: pays for every file (Databricks compacts its inference tables with predictive optimization).
    compact_every = 100

    def __init__(self, configs: Sequence[InferenceTableConfig], log_folder: str | os.PathLike[str]) -> None:
        self.log_folder = Path(log_folder)
        self.paths = {config.endpoint: config.path(log_folder) for config in configs}
        self.recovered = {endpoint: self._open(endpoint, path) for endpoint, path in self.paths.items()}
        self.appends = dict.fromkeys(self.paths, 0)

    def write(self, log_file: str, rows: Sequence[dict[str, Any]]) -> None:
        """Append the live rows of one JSON-lines file, one Delta commit per table; a failure is said, not raised.

        A file with no row for a table commits nothing to it: the next start's recovery reads the files after the
        table's last recorded one and finds none of its rows in them.
        """
        for endpoint, path in self.paths.items():
            mine = [table_row(row) for row in rows
                    if row.get("endpoint_name") == endpoint and row.get("role") != "shadow"]
            if not mine:
                continue
            try:
                self._append(path, mine, log_file)
                self.appends[endpoint] += 1
                if self.appends[endpoint] % self.compact_every == 0:
                    self._compact(path)
            except Exception as error:  # the server keeps answering; the next start recovers from the log
                print(f"inference table {path}: could not append {len(mine)} rows ({error}); they are in the "
                      f"inference log and the next start appends them.", flush=True)

    @staticmethod
    def _compact(path: Path) -> None:
        """Rewrite the small files into fewer (an OPTIMIZE commit: readers see the same rows throughout)."""
        from deltalake import DeltaTable

        DeltaTable(str(path)).optimize.compact()

    def _append(self, path: Path, rows: list[dict[str, Any]], log_file: str) -> None:
        import pyarrow as pa
        from deltalake import CommitProperties, write_deltalake

        # An empty batch still commits its file name when it is the only news: the recovery point moves on.
        data = pa.Table.from_pylist(rows, schema=_schema())
        write_deltalake(str(path), data, mode="append", partition_by=["request_date"],
                        commit_properties=CommitProperties(custom_metadata={LOG_FILE_KEY: log_file}))

    def _open(self, endpoint: str, path: Path) -> int:
        """Create the table, or append what a killed server logged but did not commit; the rows recovered."""
        from deltalake import DeltaTable

        files = sorted(p.name for p in self.log_folder.glob("part-*.jsonl"))
        if not DeltaTable.is_deltatable(str(path)):
            # A new table starts now: older log rows (from before it was enabled) are not imported.
            path.mkdir(parents=True, exist_ok=True)
            self._append(path, [], files[-1] if files else "")
            print(f"inference table of {endpoint!r}: created at {path}", flush=True)
            return 0
        last = _last_logged_file(DeltaTable(str(path)))
        rows = []
        for name in (name for name in files if name > last):
            with open(self.log_folder / name, encoding="utf-8") as lines:
                rows += [json.loads(line) for line in lines if line.strip()]
        mine = [table_row(r) for r in rows if r.get("endpoint_name") == endpoint and r.get("role") != "shadow"]
        if files and files[-1] > last:
            self._append(path, mine, files[-1])
        print(f"inference table of {endpoint!r} at {path}: recovered {len(mine)} rows from the inference log "
              f"(rows the last run logged but did not commit; requests answered in its last second before a kill "
              f"may be in neither: compare with the clients' counts).", flush=True)
        return len(mine)


def _last_logged_file(table: Any) -> str:
    """The newest JSON-lines file name a commit of ``table`` recorded ("" when none did)."""
    for commit in table.history():  # newest first
        name = commit.get(LOG_FILE_KEY)
        if name is not None:
            return str(name)
    return ""


def endpoint_table_configs(server: Any) -> list[InferenceTableConfig]:
    """The tables a server's endpoints enable (``ai_gateway.inference_table_config`` with ``enabled: true``)."""
    configs = [parse_inference_table_config(endpoint.name, endpoint.gateway.get("inference_table_config"))
               for endpoint in server.endpoints]
    return [config for config in configs if config is not None]


def open_inference_tables(server: Any, log_folder: str | os.PathLike[str] | None) -> InferenceTables | None:
    """The server's inference tables (None when no endpoint enables one); they need the inference log."""
    configs = endpoint_table_configs(server)
    if not configs:
        return None
    if log_folder is None:
        raise ConfigError(f"Endpoint(s) {[c.endpoint for c in configs]} enable ai_gateway.inference_table_config, "
                          "which this server writes from its inference log: set the server's inference_log folder "
                          "(ServingEndpoint.start(..., inference_log='inference_log')), or set enabled to false.")
    return InferenceTables(configs, log_folder)
