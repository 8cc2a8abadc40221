"""The serving endpoint's Delta inference table: rows equal requests answered, across SIGTERM and SIGKILL.

A real uvicorn server (``ServingEndpoint.start``) with ``ai_gateway.inference_table_config`` enabled answers
requests; Spark (the course's session) reads the table while the server runs; the server is stopped with
SIGTERM (it flushes), restarted, killed with SIGKILL just after its JSON-lines log was written but before the
Delta commit landed (the commit is removed, as a kill between the two writes leaves it), and restarted again:
the restart appends the missing rows from the log and says how many.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from test_serving import endpoint_config, registry, split_body  # noqa: F401 (registry is a fixture)

TABLE = {"enabled": True, "catalog_name": "main", "schema_name": "serving", "table_name_prefix": "delays"}


def _config() -> dict:
    return {"endpoints": [{"name": "delays", "config": endpoint_config(champion=100),
                           "ai_gateway": {"inference_table_config": TABLE}}]}


def _send(server, rows, prefix: str, count: int) -> set[str]:
    """``count`` answered requests (every fifth one refused with a 400); their client request ids."""
    from mldeploy.serving import ServingError

    ids = set()
    for i in range(count):
        cid = f"{prefix}-{i}"
        if i % 5 == 4:
            with pytest.raises(ServingError) as refused:
                server.invoke({"dataframe_split": {"columns": ["nope"], "data": [[1]]}}, client_request_id=cid)
            assert refused.value.status == 400
        else:
            server.invoke(split_body(rows.iloc[[i % len(rows)]]), client_request_id=cid)
        ids.add(cid)
    return ids


def _table_ids(path: str) -> list[str]:
    from deltalake import DeltaTable

    return DeltaTable(path).to_pyarrow_table(columns=["client_request_id"]).column(0).to_pylist()


def test_inference_table_rows_equal_requests_answered_across_sigterm_and_sigkill(registry, spark):
    from deltalake import DeltaTable

    from mldeploy.serving import ServingEndpoint
    from mldeploy.serving.inference_table import COLUMNS

    rows = registry["rows"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(registry["folder"])
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{registry['folder'] / 'mlflow.db'}")

        first = ServingEndpoint.start(_config(), port=18490)
        try:
            path = first.inference_table_path()
            answered = _send(first, rows, "a", 10)
            first.inference_log()  # flushes: the rows are committed now, and Spark sees them while it runs
            table = spark.read.format("delta").load(path)
            assert tuple(table.columns) == COLUMNS
            seen = table.select("client_request_id", "status_code", "served_entity_id").collect()
            assert sorted(r.client_request_id for r in seen) == sorted(answered)
            assert sorted(r.status_code for r in seen) == [200] * 8 + [400] * 2
            assert {r.served_entity_id for r in seen if r.status_code == 200} == {"champion"}
            answered |= _send(first, rows, "b", 10)  # no flush: the SIGTERM below must write them
        finally:
            first.stop()  # SIGTERM: uvicorn's shutdown writes the log, then the table
        assert sorted(_table_ids(path)) == sorted(answered)
        assert DeltaTable(path).metadata().partition_columns == ["request_date"]

        second = ServingEndpoint.start(_config(), port=18490)
        try:
            before = DeltaTable(path).version()
            killed = _send(second, rows, "c", 10)
            second.inference_log()  # the JSON-lines log (the write-ahead log) and the table have them...
            os.killpg(second.background.process.pid, signal.SIGKILL)
            second.background.process.wait()
        finally:
            second.stop()
        answered |= killed
        log = Path(path) / "_delta_log"
        for version in range(before + 1, DeltaTable(path).version() + 1):  # ...but a kill between the two
            (log / f"{version:020d}.json").unlink()                       # writes leaves the table without them
        assert sorted(_table_ids(path)) == sorted(answered - killed)

        third = ServingEndpoint.start(_config(), port=18490)
        try:
            recovered = "recovered 10 rows"
            assert recovered in Path(third.log).read_text(), "the restart says what it appended from the log"
            assert sorted(_table_ids(path)) == sorted(answered)
            logged = third.inference_log()
            assert sorted(logged["client_request_id"]) == sorted(answered)  # the JSON-lines log is unchanged
            assert spark.read.format("delta").load(path).count() == len(answered)
        finally:
            third.stop()
        assert sorted(_table_ids(path)) == sorted(answered), "a clean restart appends nothing twice"


def test_the_table_is_off_unless_the_config_enables_it(registry, tmp_path):
    from mldeploy.serving import create_app

    app = create_app({"endpoints": [{"name": "delays", "config": endpoint_config()}]}, auth_token=None,
                     inference_log=tmp_path / "inference_log")
    try:
        assert app.state.serving.tables is None
        assert not (tmp_path / "inference_tables").exists()
    finally:
        app.state.serving.close()


@pytest.mark.parametrize("table, words", [
    ({"enabled": "yes"}, "true or false"),
    ({"enabled": True, "schema_name": "../up"}, "letters, digits"),
    ({"enabled": True, "table": "x"}, "unknown field"),
    ("on", "must be an object"),
])
def test_a_bad_inference_table_config_is_refused_up_front(table, words):
    from mldeploy.serving import ConfigError, parse_server_config

    with pytest.raises(ConfigError, match=words):
        parse_server_config({"endpoints": [{"name": "d", "config": endpoint_config(),
                                            "ai_gateway": {"inference_table_config": table}}]})


def test_an_enabled_table_without_the_inference_log_says_what_to_set():
    from mldeploy.serving import ConfigError, create_app

    config = {"endpoints": [{"name": "d", "config": endpoint_config(),
                             "ai_gateway": {"inference_table_config": TABLE}}]}
    with pytest.raises(ConfigError, match="inference_log"):
        create_app(config, auth_token=None, inference_log=None)


def test_the_requester_is_the_token_user_never_the_token(registry, tmp_path):
    from deltalake import DeltaTable
    from fastapi.testclient import TestClient

    from mldeploy.serving import create_app

    config = {"endpoints": [{"name": "delays", "config": endpoint_config(champion=100),
                             "ai_gateway": {"inference_table_config": TABLE}}]}
    app = create_app(config, auth_token="token-of-ann,token-of-bob", inference_log=tmp_path / "inference_log")
    body = split_body(registry["rows"].iloc[[0]])
    with TestClient(app) as http:
        for token, cid, status in (("token-of-bob", "bob", 200), ("token-of-ann", "ann", 200), ("wrong", "who", 401)):
            answer = http.post("/serving-endpoints/delays/invocations", json=body,
                               headers={"Authorization": f"Bearer {token}", "client-request-id": cid})
            assert answer.status_code == status, answer.text
        assert http.post("/inference-log/flush", headers={"Authorization": "Bearer token-of-ann"}).status_code == 200
    table = DeltaTable(str(next((tmp_path / "inference_tables").rglob("delays_payload"))))
    rows = table.to_pyarrow_table(columns=["client_request_id", "requester"]).to_pylist()
    assert {row["client_request_id"]: row["requester"] for row in rows} == {"bob": "user-2", "ann": "user-1", "who": None}
    assert "token-of" not in "".join(path.read_text() for path in (tmp_path / "inference_log").glob("*.jsonl"))


def test_appends_are_compacted_and_empty_batches_commit_nothing(tmp_path):
    from deltalake import DeltaTable

    from mldeploy.serving.inference_table import InferenceTables, parse_inference_table_config

    log = tmp_path / "inference_log"
    log.mkdir()
    tables = InferenceTables([parse_inference_table_config("delays", TABLE)], log)
    tables.compact_every = 10
    path = str(tables.paths["delays"])
    created = DeltaTable(path).version()
    for i in range(25):
        row = {"request_id": f"r{i}", "client_request_id": f"c{i}", "timestamp_ms": 1_700_000_000_000 + i,
               "endpoint_name": "delays", "role": "live", "status_code": 200, "execution_time_ms": 3.0,
               "request": "{}", "response": "{}", "served_model_name": "champion", "requester": "anonymous"}
        tables.write(f"part-{i:03d}.jsonl", [row])
        tables.write(f"part-{i:03d}b.jsonl", [{**row, "endpoint_name": "other"}])   # not this table's: no commit
    table = DeltaTable(path)
    operations = [commit["operation"] for commit in table.history()]
    assert operations.count("OPTIMIZE") == 2 and table.version() == created + 25 + 2
    assert len(table.file_uris()) <= 6, "25 one-row appends, compacted twice: the files of the last 5 and one compacted"
    assert sorted(table.to_pyarrow_table(columns=["client_request_id"]).column(0).to_pylist()) == sorted(
        f"c{i}" for i in range(25))
