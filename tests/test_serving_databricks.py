"""Databricks' own clients, unchanged, against the course's serving endpoint on loopback.

``mlflow.deployments.get_deploy_client("databricks")`` and the Databricks SDK's
``WorkspaceClient().serving_endpoints`` read ``DATABRICKS_HOST`` and ``DATABRICKS_TOKEN``; pointed at a real
uvicorn server (``ServingEndpoint.start`` with a bearer token), each method must do what it does on Databricks:
the endpoint's state after create and update, predictions equal to the model's own, a 404 after delete, the
SDK's ``*_and_wait`` pollers through a config that is still loading, and not one warning logged (the clients
first ask ``/.well-known/databricks-config``).
"""

from __future__ import annotations

import logging
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import numpy as np
import pytest

from test_serving import REGISTERED, registry, split_body  # noqa: F401 (registry is a fixture)

TOKEN = "dbx-client-test-token"
GATED = "serving_test_gated_load"
#: The deprecation notices MLflow's own client gives for update_endpoint: the client's, not the server's.
CLIENT_DEPRECATIONS = ("update_endpoint",)


@pytest.fixture(scope="module")
def gated(registry):
    """Two versions of a model whose loading waits while a 'hold' file exists: a test decides when a load ends."""
    import mlflow

    hold = registry["folder"] / "hold-gated-load"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's type-hint notice for a PythonModel
        for _ in range(2):
            with mlflow.start_run():
                mlflow.pyfunc.log_model(name="gated", python_model=_gated_model(), pip_requirements=[],
                                        model_config={"hold": str(hold)}, registered_model_name=GATED)
    return hold


def _gated_model():
    import mlflow

    class GatedLoad(mlflow.pyfunc.PythonModel):
        def load_context(self, context):
            import os
            import time

            deadline = time.monotonic() + 300  # never hang a server for good
            while os.path.exists(context.model_config["hold"]) and time.monotonic() < deadline:
                time.sleep(0.05)

        def predict(self, context, model_input, params=None):
            return [1] * len(model_input)

    return GatedLoad()


@pytest.fixture(scope="module")
def server(registry, gated):
    from mldeploy.serving import ServingEndpoint

    config = {"endpoints": [{"name": "delays", "config": {"served_entities": [
        {"name": "champion", "entity_name": REGISTERED, "entity_version": "1", "workload_size": "Small",
         "scale_to_zero_enabled": False}]}}]}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(registry["folder"])
        endpoint = ServingEndpoint.start(config, port=18520, token=TOKEN, inference_log=None)
    yield endpoint
    endpoint.stop()


@pytest.fixture(autouse=True)
def databricks_env(server, tmp_path, monkeypatch):
    """Only DATABRICKS_HOST and DATABRICKS_TOKEN: no profile file, no other credentials from this machine."""
    import os

    for name in [name for name in os.environ if name.startswith("DATABRICKS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("DATABRICKS_HOST", server.url)
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-databrickscfg"))


@contextmanager
def nothing_logged():
    """Fail if a warning (or worse) is logged, or a Python warning raised, other than the clients' own deprecations."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    loggers = [logging.getLogger(name) for name in ("", "databricks", "mlflow")]  # mlflow's does not propagate
    for logger in loggers:
        logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    assert not records, f"logged: {sorted({record.getMessage()[:300] for record in records})}"
    raised = [str(w.message) for w in caught if not any(name in str(w.message) for name in CLIENT_DEPRECATIONS)]
    assert not raised, f"warnings: {raised}"


def expected(registry, version: str):
    import mlflow

    return mlflow.pyfunc.load_model(f"models:/{REGISTERED}/{version}").predict(registry["rows"])


def served_entity(version: str, name: str = "champion", size: str = "Small") -> dict:
    return {"name": name, "entity_name": REGISTERED, "entity_version": version, "workload_size": size,
            "scale_to_zero_enabled": False}


# --- the host-metadata probe, auth --------------------------------------------------------------------------

def test_host_metadata_is_answered_so_the_clients_warn_nothing(server):
    from databricks.sdk.config import Config

    answer = httpx.get(f"{server.url}/.well-known/databricks-config")  # asked before any token is sent
    assert answer.status_code == 200 and answer.json()["workspace_id"]
    with pytest.raises(AssertionError, match="host metadata"):  # the check sees the warning a 404 causes...
        with nothing_logged():
            Config(host=f"{server.url}/not-this-server", token=TOKEN)
    with nothing_logged():  # ...and this server causes none
        config = Config()
    assert config.host == server.url and config.auth_type == "pat" and config.workspace_id == "1"


def test_a_wrong_token_is_refused_to_both_clients(server, monkeypatch):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.errors import Unauthenticated
    from mlflow.deployments import get_deploy_client
    from requests import HTTPError

    monkeypatch.setenv("DATABRICKS_TOKEN", "not-the-token")
    with pytest.raises(Unauthenticated, match="bearer token is wrong"):
        WorkspaceClient().serving_endpoints.get("delays")
    with pytest.raises(HTTPError) as refused:
        get_deploy_client("databricks").get_endpoint("delays")
    assert refused.value.response.status_code == 401


# --- MLflow's deployments client ----------------------------------------------------------------------------

def test_mlflow_deployments_client_manages_and_queries_an_endpoint(server, registry):
    from mlflow.deployments import get_deploy_client
    from requests import HTTPError

    body = split_body(registry["rows"])
    with nothing_logged():
        client = get_deploy_client("databricks")
        created = client.create_endpoint(config={"name": "mlflow-client", "config": {
            "served_entities": [served_entity("1")]}, "tags": [{"key": "team", "value": "delays"}]})
        assert created["state"] == {"ready": "READY", "config_update": "NOT_UPDATING"}
        assert created["config"]["config_version"] == 1 and created["tags"] == [{"key": "team", "value": "delays"}]
        assert client.get_endpoint("mlflow-client")["config"]["served_entities"][0]["entity_version"] == "1"
        assert "mlflow-client" in [endpoint["name"] for endpoint in client.list_endpoints()]
        np.testing.assert_allclose(client.predict(endpoint="mlflow-client", inputs=body)["predictions"],
                                   expected(registry, "1"))

        updated = client.update_endpoint_config("mlflow-client", {"served_entities": [
            served_entity("2", size="Medium")]})
        assert updated["config"]["config_version"] == 2 and updated["state"]["config_update"] == "NOT_UPDATING"
        assert updated["config"]["served_entities"][0]["workload_size"] == "Medium"
        assert updated["tags"] == [{"key": "team", "value": "delays"}], "a config update keeps the endpoint's tags"
        np.testing.assert_allclose(client.predict(endpoint="mlflow-client", inputs=body)["predictions"],
                                   expected(registry, "2"))
        with pytest.warns(UserWarning, match="update_endpoint"):  # deprecated by MLflow itself, still works
            again = client.update_endpoint("mlflow-client", {"served_entities": [served_entity("1")]})
        assert again["config"]["config_version"] == 3
        np.testing.assert_allclose(client.predict(endpoint="mlflow-client", inputs=body)["predictions"],
                                   expected(registry, "1"))

        tags = client.update_endpoint_tags("mlflow-client", {"add_tags": [{"key": "stage", "value": "canary"}],
                                                              "delete_tags": ["team"]})
        assert tags == {"tags": [{"key": "stage", "value": "canary"}]}
        limits = {"rate_limits": [{"calls": 1000, "key": "user", "renewal_period": "minute"}]}
        assert client.update_endpoint_rate_limits("mlflow-client", limits) == limits
        gateway = client.update_endpoint_ai_gateway("mlflow-client", {**limits, "usage_tracking_config": {
            "enabled": True}})
        assert gateway["rate_limits"] == limits["rate_limits"] and gateway["usage_tracking_config"] == {"enabled": True}
        assert client.get_endpoint("mlflow-client")["ai_gateway"] == gateway
        assert client.get_endpoint("mlflow-client")["config"]["config_version"] == 3, "a gateway is not a config"

        assert client.delete_endpoint("mlflow-client") == {}
        for gone in (lambda: client.get_endpoint("mlflow-client"),
                     lambda: client.predict(endpoint="mlflow-client", inputs=body)):
            with pytest.raises(HTTPError) as missing:
                gone()
            assert missing.value.response.status_code == 404
        assert "mlflow-client" not in [endpoint["name"] for endpoint in client.list_endpoints()]


def test_mlflow_client_refusals_carry_the_servers_message(server):
    from mlflow.deployments import get_deploy_client
    from requests import HTTPError

    client = get_deploy_client("databricks")
    with nothing_logged(), pytest.raises(HTTPError) as refused:
        client.update_endpoint_config("delays", {"served_entities": [{**served_entity("1"), "workload_size": "Huge"}]})
    assert refused.value.response.status_code == 400 and "Huge" in str(refused.value)


# --- the Databricks SDK -------------------------------------------------------------------------------------

def test_sdk_serving_endpoints_create_query_update_list_delete(server, registry):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.serving import (DataframeSplitInput, EndpointCoreConfigInput, EndpointStateConfigUpdate,
                                                EndpointStateReady, Route, ServedEntityInput, TrafficConfig)

    split = DataframeSplitInput.from_dict(split_body(registry["rows"])["dataframe_split"])

    def entity(version: str, name: str, size: str = "Small") -> ServedEntityInput:
        return ServedEntityInput(name=name, entity_name=REGISTERED, entity_version=version, workload_size=size,
                                 scale_to_zero_enabled=False)

    with nothing_logged():
        endpoints = WorkspaceClient().serving_endpoints
        waiter = endpoints.create("sdk-client", config=EndpointCoreConfigInput(
            name="sdk-client", served_entities=[entity("1", "champion")]))
        assert waiter.response.state.config_update == EndpointStateConfigUpdate.NOT_UPDATING
        created = waiter.result()
        assert created.state.ready == EndpointStateReady.READY and created.config.config_version == 1
        answer = endpoints.query("sdk-client", dataframe_split=split)
        assert answer.served_model_name == "champion"
        np.testing.assert_allclose(answer.predictions, expected(registry, "1"))

        split_traffic = TrafficConfig(routes=[Route(served_model_name="champion", traffic_percentage=0),
                                              Route(served_model_name="challenger", traffic_percentage=100)])
        updated = endpoints.update_config_and_wait("sdk-client", served_entities=[
            entity("1", "champion"), entity("2", "challenger", "Large")], traffic_config=split_traffic)
        assert updated.config.config_version == 2
        assert updated.state.config_update == EndpointStateConfigUpdate.NOT_UPDATING
        assert {(e.name, e.entity_version, e.workload_size) for e in updated.config.served_entities} == {
            ("champion", "1", "Small"), ("challenger", "2", "Large")}
        assert {(r.served_model_name, r.traffic_percentage) for r in updated.config.traffic_config.routes} == {
            ("champion", 0), ("challenger", 100)}
        answer = endpoints.query("sdk-client", dataframe_split=split)
        assert answer.served_model_name == "challenger"
        np.testing.assert_allclose(answer.predictions, expected(registry, "2"))
        records = endpoints.query("sdk-client", dataframe_records=registry["rows"].to_dict(orient="records"),
                                  client_request_id="sdk-42")
        np.testing.assert_allclose(records.predictions, expected(registry, "2"))

        rolled_back = endpoints.update_config("sdk-client", served_entities=[entity("1", "champion")]).result()
        assert rolled_back.config.config_version == 3
        assert endpoints.get("sdk-client").config.served_entities[0].entity_version == "1"
        listed = {endpoint.name: endpoint for endpoint in endpoints.list()}
        assert {"delays", "sdk-client"} <= set(listed)
        assert listed["sdk-client"].state.ready == EndpointStateReady.READY

        endpoints.delete("sdk-client")
        with pytest.raises(NotFound):
            endpoints.get("sdk-client")
        with pytest.raises(NotFound):
            endpoints.query("sdk-client", dataframe_split=split)
        assert "sdk-client" not in {endpoint.name for endpoint in endpoints.list()}


def test_sdk_ai_gateway_and_rate_limits_are_reported_in_its_models(server):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.errors import BadRequest
    from databricks.sdk.service.serving import (AiGatewayRateLimit, AiGatewayRateLimitKey,
                                                AiGatewayRateLimitRenewalPeriod, RateLimit, RateLimitKey,
                                                RateLimitRenewalPeriod)

    with nothing_logged():
        endpoints = WorkspaceClient().serving_endpoints
        limit = AiGatewayRateLimit(calls=500, key=AiGatewayRateLimitKey.USER,
                                   renewal_period=AiGatewayRateLimitRenewalPeriod.MINUTE)
        put = endpoints.put_ai_gateway("delays", rate_limits=[limit])
        assert put.rate_limits == [limit]
        assert endpoints.get("delays").ai_gateway.rate_limits == [limit]
        older = endpoints.put("delays", rate_limits=[RateLimit(calls=900, key=RateLimitKey.ENDPOINT,
                                                                renewal_period=RateLimitRenewalPeriod.MINUTE)])
        assert [(r.calls, r.key) for r in older.rate_limits] == [(900, RateLimitKey.ENDPOINT)]
        group = AiGatewayRateLimit(calls=5, key=AiGatewayRateLimitKey.USER_GROUP,
                                   renewal_period=AiGatewayRateLimitRenewalPeriod.MINUTE)
        with pytest.raises(BadRequest, match="'endpoint' .*or 'user'"):
            endpoints.put_ai_gateway("delays", rate_limits=[group])
        endpoints.put_ai_gateway("delays", rate_limits=[])
        assert endpoints.get("delays").ai_gateway is None


def test_sdk_pollers_wait_through_a_config_that_is_still_loading(server, gated):
    """Create and update answer once the models load; meanwhile GET shows IN_PROGRESS and pending_config, the
    endpoint being created answers 503, the one being updated keeps answering, and the SDK's waiters return."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.serving import (EndpointCoreConfigInput, EndpointStateConfigUpdate, EndpointStateReady,
                                                ServedEntityInput)

    def entity(version: str) -> ServedEntityInput:
        return ServedEntityInput(name="gated", entity_name=GATED, entity_version=version, workload_size="Small",
                                 scale_to_zero_enabled=False)

    def in_progress(endpoints):
        deadline = time.monotonic() + 120  # the load waits for the hold file, so it is seen unless the server fails
        while time.monotonic() < deadline:
            try:
                seen = endpoints.get("gated")
            except NotFound:  # the create has not reached the server yet
                seen = None
            if seen is not None and seen.state.config_update == EndpointStateConfigUpdate.IN_PROGRESS:
                return seen
            time.sleep(0.05)
        pytest.fail("the endpoint never showed config_update IN_PROGRESS")

    invocations = f"{server.url}/serving-endpoints/gated/invocations"
    body = {"dataframe_records": [{"x": 1.0}]}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with nothing_logged(), ThreadPoolExecutor(1) as background:
        try:
            gated.touch()
            creating = background.submit(lambda: WorkspaceClient().serving_endpoints.create_and_wait(
                "gated", config=EndpointCoreConfigInput(name="gated", served_entities=[entity("1")])))
            endpoints = WorkspaceClient().serving_endpoints
            seen = in_progress(endpoints)
            assert seen.state.ready == EndpointStateReady.NOT_READY and seen.config is None
            assert seen.pending_config.config_version == 1 and seen.pending_config.served_entities[0].name == "gated"
            loading = httpx.post(invocations, json=body, headers=auth)
            assert loading.status_code == 503 and "being created" in loading.json()["message"]
            assert loading.headers["retry-after"] == "1"
            gated.unlink()
            created = creating.result(timeout=120)
            assert created.state.ready == EndpointStateReady.READY and created.config.config_version == 1

            gated.touch()
            updating = background.submit(lambda: WorkspaceClient().serving_endpoints.update_config(
                "gated", served_entities=[entity("2")]))
            seen = in_progress(endpoints)
            assert seen.state.ready == EndpointStateReady.READY and seen.config.config_version == 1
            assert seen.pending_config.config_version == 2
            assert seen.pending_config.served_entities[0].entity_version == "2"
            assert httpx.post(invocations, json=body, headers=auth).status_code == 200, "the old config still answers"
            gated.unlink()
            updated = updating.result(timeout=120).result()
            assert updated.state.config_update == EndpointStateConfigUpdate.NOT_UPDATING
            assert updated.config.config_version == 2 and updated.pending_config is None
        finally:
            gated.unlink(missing_ok=True)
        endpoints.delete("gated")


def test_a_config_that_fails_to_load_leaves_update_failed_and_the_old_config_serving(server, registry):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.errors import BadRequest, OperationFailed
    from databricks.sdk.service.serving import EndpointCoreConfigInput, EndpointStateConfigUpdate, ServedEntityInput

    split = split_body(registry["rows"])["dataframe_split"]
    with nothing_logged():
        endpoints = WorkspaceClient().serving_endpoints
        endpoints.create_and_wait("failing", config=EndpointCoreConfigInput(name="failing", served_entities=[
            ServedEntityInput(entity_name=REGISTERED, entity_version="1", workload_size="Small")]))
        with pytest.raises(BadRequest, match="could not load"):
            endpoints.update_config("failing", served_entities=[
                ServedEntityInput(entity_name=REGISTERED, entity_version="99", workload_size="Small")])
        failed = endpoints.get("failing")
        assert failed.state.config_update == EndpointStateConfigUpdate.UPDATE_FAILED
        assert failed.config.config_version == 1
        with pytest.raises(OperationFailed, match="UPDATE_FAILED"):
            endpoints.wait_get_serving_endpoint_not_updating("failing")
        answer = httpx.post(f"{server.url}/serving-endpoints/failing/invocations", json={"dataframe_split": split},
                            headers={"Authorization": f"Bearer {TOKEN}"})
        np.testing.assert_allclose(answer.json()["predictions"], expected(registry, "1"))
        fixed = endpoints.update_config_and_wait("failing", served_entities=[
            ServedEntityInput(entity_name=REGISTERED, entity_version="2", workload_size="Small")])
        assert fixed.state.config_update == EndpointStateConfigUpdate.NOT_UPDATING and fixed.config.config_version == 2
        endpoints.delete("failing")
