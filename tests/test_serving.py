"""mldeploy.serving: the split, lossless config changes, refusals, auth, body formats, shadow, log, metrics.

Two small scikit-learn models are logged and registered in a temporary SQLite tracking store (no Spark).
Most tests call the FastAPI app in this process; the load test, the auth test and the malformed-request
test go through a real uvicorn server on loopback (``ServingEndpoint.start``), as a client would.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = [
    pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`"),  # Starlette's notice, not ours
]

TOKEN = "s3cret-test-token"
FEATURES = ["distance", "dep_delay", "hour"]
REGISTERED = "serving_test_delay"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """Two registered versions (1: Production, alias champion; 2: Staging) and one unregistered pyfunc."""
    import mlflow
    import numpy as np
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("serving")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder / 'mlflow.db'}")
        patch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        rng = np.random.default_rng(0)
        frame = pd.DataFrame({"distance": rng.uniform(100, 2500, 300), "dep_delay": rng.normal(5, 25, 300),
                              "hour": rng.integers(5, 23, 300)})
        label = ((frame.dep_delay > 12) | (frame.distance > 2200)).astype(int)
        uris = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLflow's hints about the test models' signatures, and stages
            for strength in (1.0, 0.001):  # two models that disagree on some rows
                model = LogisticRegression(C=strength, max_iter=300).fit(frame, label)
                with mlflow.start_run():
                    info = mlflow.sklearn.log_model(
                        model, name="model", signature=infer_signature(frame, model.predict_proba(frame)),
                        pyfunc_predict_fn="predict_proba", pip_requirements=[], registered_model_name=REGISTERED)
                uris.append(info.model_uri)
            client = MlflowClient()
            client.transition_model_version_stage(REGISTERED, "1", "Production")  # deprecated, still on the exam
            client.transition_model_version_stage(REGISTERED, "2", "Staging")
            client.set_registered_model_alias(REGISTERED, "champion", "1")
            with mlflow.start_run():  # a model that costs nothing to call, for the 10,000-request split
                constant = mlflow.pyfunc.log_model(name="constant", python_model=_constant_model(),
                                                   pip_requirements=[]).model_uri
        yield {"folder": folder, "uris": uris, "rows": frame.head(6), "constant": constant}


def _constant_model():
    import mlflow

    class ConstantModel(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return [0] * len(model_input)

    return ConstantModel()


def endpoint_config(champion: int = 80, seed: int = 42, shadow: bool = False) -> dict:
    served = [
        {"name": "champion", "entity_name": REGISTERED, "entity_version": "1", "workload_size": "Small",
         "scale_to_zero_enabled": True},
        {"name": "challenger", "entity_name": REGISTERED, "entity_version": "2", "workload_size": "Small"},
    ]
    if shadow:
        served.append({"name": "shadow", "entity_name": REGISTERED, "entity_version": "2", "shadow": True})
    routes = [{"served_model_name": "champion", "traffic_percentage": champion},
              {"served_model_name": "challenger", "traffic_percentage": 100 - champion}]
    return {"served_entities": served, "traffic_config": {"routes": routes}, "traffic_seed": seed}


def split_body(rows) -> dict:
    return {"dataframe_split": {"columns": list(rows.columns), "data": rows.values.tolist()}}


@pytest.fixture(scope="module")
def app(registry, server_starting):
    from mldeploy.serving import create_app

    config = {"endpoints": [{"name": "delays", "config": endpoint_config(shadow=True)}],
              "inference_log": str(registry["folder"] / "inference_log")}
    application = create_app(config, auth_token=None)
    yield application
    application.state.serving.close()


@pytest.fixture(scope="module")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def server_starting(registry):
    """A real server (uvicorn in its own process) with a bearer token and a small body limit.

    It starts on a thread as soon as the models exist, so its start-up overlaps the in-process tests.
    """
    from mldeploy.serving import ServingEndpoint

    config = {"endpoints": [{"name": "delays", "config": endpoint_config(champion=100)}],
              "max_request_bytes": 64 * 1024}
    with pytest.MonkeyPatch.context() as patch, ThreadPoolExecutor(1) as pool:
        patch.chdir(registry["folder"])  # its log goes to the test's work/ folder
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{registry['folder'] / 'mlflow.db'}")
        starting = pool.submit(ServingEndpoint.start, config, port=18480, token=TOKEN)
        yield starting
        starting.result().stop()


@pytest.fixture(scope="module")
def server(server_starting):
    return server_starting.result(timeout=240)


# --- the split -------------------------------------------------------------------------------------------

async def asgi_post(app, path: str, body: bytes) -> tuple[int, dict[bytes, bytes]]:
    """POST to the ASGI app directly: an in-process client without an HTTP client's per-request cost."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 50000), "server": ("serving", 80)}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    answer: dict = {}

    async def receive() -> dict:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            answer.update(status=message["status"], headers=dict(message["headers"]))

    await app(scope, receive, send)
    return answer["status"], answer["headers"]


def test_observed_split_is_within_two_points_over_10000_seeded_requests(app, client, registry):
    """10,000 requests through the app in process: the 80/20 split holds, and the seed makes it repeatable."""
    from mldeploy.serving.routing import TrafficRouter

    constant = registry["constant"]
    config = {"served_entities": [{"name": "champion", "model_uri": constant},
                                  {"name": "challenger", "model_uri": constant}],
              "traffic_config": {"routes": [{"served_model_name": "champion", "traffic_percentage": 80},
                                            {"served_model_name": "challenger", "traffic_percentage": 20}]},
              "traffic_seed": 42}
    created = client.post("/api/2.0/serving-endpoints", json={"name": "split", "config": config})
    assert created.status_code == 200, created.text
    body = json.dumps({"inputs": [[1.0, 2.0, 3.0]]}).encode()

    async def send_all() -> list[str]:
        answered = []
        for _ in range(10_000):
            status, headers = await asgi_post(app, "/serving-endpoints/split/invocations", body)
            assert status == 200
            answered.append(headers[b"served-model-name"].decode())
        return answered

    try:
        answered = asyncio.run(send_all())
    finally:
        client.delete("/api/2.0/serving-endpoints/split")
    share = Counter(answered)["champion"] / len(answered) * 100
    assert abs(share - 80) <= 2, f"champion answered {share:.1f}% of 10,000 requests, configured 80%"
    again = TrafficRouter({"champion": 80, "challenger": 20}, seed=42)
    assert answered == [again.choose() for _ in range(10_000)], "the same seed must give the same sequence"


# --- body formats, legacy routes -------------------------------------------------------------------------

def test_every_body_format_gives_the_models_own_predictions(client, registry):
    import mlflow
    import numpy as np

    rows = registry["rows"]
    expected = mlflow.pyfunc.load_model(f"models:/{REGISTERED}/1").predict(rows)
    records = rows.to_dict(orient="records")
    bodies = {
        "dataframe_split": (split_body(rows), "application/json"),
        "dataframe_records": ({"dataframe_records": records}, "application/json"),
        "instances": ({"instances": records}, "application/json"),
        "inputs": ({"inputs": rows.to_dict(orient="list")}, "application/json"),
        "legacy pandas-split": ({"columns": list(rows.columns), "data": rows.values.tolist()},
                                "application/json; format=pandas-split"),
        "csv": (rows.to_csv(index=False), "text/csv"),
    }
    for name, (body, content_type) in bodies.items():
        content = body if isinstance(body, str) else json.dumps(body)
        answer = client.post("/serving-endpoints/delays/served-models/champion/invocations", content=content,
                             headers={"content-type": content_type})
        assert answer.status_code == 200, f"{name}: {answer.text}"
        assert answer.json()["served_model_name"] == "champion" == answer.headers["served-model-name"]
        np.testing.assert_allclose(np.asarray(answer.json()["predictions"]), expected, err_msg=name)


def test_legacy_routes_serve_versions_stages_and_aliases(client, registry):
    import mlflow
    import numpy as np

    rows = registry["rows"]
    for route, version in [("1", "1"), ("2", "2"), ("Production", "1"), ("staging", "2"), ("champion", "1")]:
        answer = client.post(f"/model/{REGISTERED}/{route}/invocations", json=split_body(rows))
        assert answer.status_code == 200, f"/model/{REGISTERED}/{route}: {answer.text}"
        assert answer.json()["served_model_name"] == f"{REGISTERED}-{version}"
        expected = mlflow.pyfunc.load_model(f"models:/{REGISTERED}/{version}").predict(rows)
        np.testing.assert_allclose(np.asarray(answer.json()["predictions"]), expected)
    missing = client.post(f"/model/{REGISTERED}/Archived/invocations", json=split_body(rows))
    assert missing.status_code == 404 and "Archived" in missing.json()["message"]


# --- shadow, inference log, metrics ----------------------------------------------------------------------

def test_shadow_answers_are_logged_never_returned(client, app, registry):
    from mldeploy.serving import read_inference_log

    sent = []
    for i in range(30):
        body = split_body(registry["rows"].iloc[[i % 6]])
        if i % 2:  # the caller's id in the body, where Databricks takes it, or in a header
            answer = client.post("/serving-endpoints/delays/invocations",
                                 json={**body, "client_request_id": f"shadow-test-{i}"})
        else:
            answer = client.post("/serving-endpoints/delays/invocations", json=body,
                                 headers={"client-request-id": f"shadow-test-{i}"})
        assert answer.status_code == 200
        assert answer.json()["served_model_name"] in ("champion", "challenger"), "a shadow must never answer"
        sent.append(answer.headers["x-request-id"])
    assert client.post("/inference-log/flush").json()["flushed"]
    log = read_inference_log(registry["folder"] / "inference_log")
    mine = log[log.request_id.isin(sent)]
    live, shadow = mine[mine.role == "live"], mine[mine.role == "shadow"]
    assert len(live) == 30 and set(shadow.request_id) == set(sent), "every live request has a shadow copy logged"
    assert (shadow.served_model_name == "shadow").all() and (shadow.status_code == 200).all()
    assert shadow.response.map(lambda text: json.loads(text)["served_model_name"]).eq("shadow").all()
    assert set(live.client_request_id) == {f"shadow-test-{i}" for i in range(30)}
    assert set(shadow.client_request_id) == set(live.client_request_id), "a shadow row carries the caller's id"
    for column in ("timestamp_ms", "date", "execution_time_ms", "request", "response", "status_code", "model_uri"):
        assert live[column].notna().all(), f"inference log column {column} is empty"



def test_a_failed_request_is_logged_with_no_response(client, registry):
    """Lesson 07 tells learners a failed row's response is None: the log must say so (not the text "None")."""
    from mldeploy.serving import read_inference_log

    answered = client.post("/serving-endpoints/delays/invocations", json=split_body(registry["rows"].iloc[[0]]))
    refused = client.post("/serving-endpoints/delays/invocations", json={
        "client_request_id": "failed-request", "dataframe_split": {"columns": ["no_such_feature"], "data": [[1.0]]}})
    assert refused.status_code == 400
    assert client.post("/inference-log/flush").json()["flushed"]
    log = read_inference_log(registry["folder"] / "inference_log")
    [failed] = log[(log.client_request_id == "failed-request") & (log.role == "live")].to_dict("records")
    assert failed["status_code"] == 400 and failed["response"] is None, failed
    assert json.loads(failed["request"])["dataframe_split"]["columns"] == ["no_such_feature"]
    [ok] = log[(log.request_id == answered.headers["x-request-id"]) & (log.role == "live")].to_dict("records")
    assert ok["status_code"] == 200 and json.loads(ok["response"])["predictions"]

def test_metrics_parse_and_count_per_served_model(client, registry):
    from prometheus_client.parser import text_string_to_metric_families

    before = _requests_by_model(client.get("/metrics").text)
    answers = [client.post("/serving-endpoints/delays/invocations", json=split_body(registry["rows"].head(1)))
               for _ in range(20)]
    client.post("/serving-endpoints/delays/invocations", content=b"{", headers={"content-type": "application/json"})
    text = client.get("/metrics").text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert {"mldeploy_serving_requests", "mldeploy_serving_errors", "mldeploy_serving_latency_seconds"} <= set(families)
    after = _requests_by_model(text)
    sent = Counter(answer.json()["served_model_name"] for answer in answers)
    for served, count in sent.items():
        assert after[served] - before.get(served, 0) >= count
    quantiles = {s.labels["quantile"] for s in families["mldeploy_serving_latency_seconds"].samples
                 if "quantile" in s.labels}
    assert quantiles == {"0.5", "0.95", "0.99"}


def _requests_by_model(text: str) -> dict[str, float]:
    from prometheus_client.parser import text_string_to_metric_families

    counts: Counter = Counter()
    for family in text_string_to_metric_families(text):
        if family.name == "mldeploy_serving_requests":
            for sample in family.samples:
                if sample.labels["role"] == "live":
                    counts[sample.labels["served_model"]] += sample.value
    return counts


# --- config -----------------------------------------------------------------------------------------------

def test_config_in_databricks_shapes_is_accepted_and_reported(client):
    described = client.get("/api/2.0/serving-endpoints/delays").json()
    champion = described["config"]["served_entities"][0]
    assert champion["workload_size"] == "Small" and champion["scale_to_zero_enabled"] is True
    older = {"served_models": [{"name": "only", "model_name": REGISTERED, "model_version": 2,
                                "workload_size": "Medium"}],
             "traffic_config": {"routes": [{"served_model_name": "only", "traffic_percentage": "100"}]}}
    created = client.post("/api/2.0/serving-endpoints", json={"name": "older-shape", "config": older})
    assert created.status_code == 200, created.text
    assert client.post("/serving-endpoints/older-shape/invocations",
                       json={"inputs": {"distance": [900.0], "dep_delay": [40.0], "hour": [18]}}).status_code == 200
    assert client.delete("/api/2.0/serving-endpoints/older-shape").status_code == 200
    assert client.post("/serving-endpoints/older-shape/invocations", json={}).status_code == 404


@pytest.mark.parametrize("config, words", [
    ({"served_entities": [{"name": "a", "entity_name": REGISTERED, "entity_version": "1"},
                          {"name": "b", "entity_name": REGISTERED, "entity_version": "2"}],
      "traffic_config": {"routes": [{"served_model_name": "a", "traffic_percentage": 60},
                                    {"served_model_name": "b", "traffic_percentage": 30}]}}, "sum to 90"),
    ({"served_entities": [{"name": "a", "entity_name": REGISTERED, "entity_version": "1"}],
      "traffic_config": {"routes": [{"served_model_name": "zzz", "traffic_percentage": 100}]}}, "'zzz'"),
    ({"served_entities": [{"name": "a", "entity_name": REGISTERED, "entity_version": "1"},
                          {"name": "s", "entity_name": REGISTERED, "entity_version": "2", "shadow": True}],
      "traffic_config": {"routes": [{"served_model_name": "a", "traffic_percentage": 50},
                                    {"served_model_name": "s", "traffic_percentage": 50}]}}, "shadow"),
    ({"served_entities": [{"name": "a", "entity_name": REGISTERED}]}, "entity_version"),
    ({"served_entities": []}, "serves nothing"),
    ({"served_entities": [{"name": "a", "entity_name": REGISTERED, "entity_version": "99"}]}, "could not load"),
])
def test_a_bad_config_is_refused_with_a_clear_400_and_changes_nothing(client, config, words):
    before = client.get("/api/2.0/serving-endpoints/delays").json()["config"]["config_version"]
    answer = client.put("/api/2.0/serving-endpoints/delays/config", json=config)
    assert answer.status_code == 400 and words in answer.json()["message"], answer.text
    assert client.get("/api/2.0/serving-endpoints/delays").json()["config"]["config_version"] == before


# --- a real server: auth, malformed requests, lossless config changes -------------------------------------

def test_auth_refuses_a_missing_or_wrong_token(server, registry):
    url, body = server.invocations_url(), split_body(registry["rows"].head(1))
    missing = httpx.post(url, json=body)
    wrong = httpx.post(url, json=body, headers={"Authorization": "Bearer not-the-token"})
    right = httpx.post(url, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert missing.status_code == 401 and "bearer token" in missing.json()["message"]
    assert wrong.status_code == 401 and "wrong" in wrong.json()["message"]
    assert right.status_code == 200, right.text
    assert httpx.get(f"{server.url}/metrics").status_code == 401, "metrics need the token too"
    assert httpx.get(f"{server.url}/health").status_code == 200, "the health check stays open"


def malformed_requests(rows) -> list[tuple[str, str, str, bytes | None, dict[str, str], int]]:
    """(kind, method, path, body, headers, expected status): each a way a client gets a request wrong."""
    good = split_body(rows.head(1))
    columns = list(rows.columns)
    one_row = rows.head(1).values.tolist()[0]
    path = "/serving-endpoints/delays/invocations"

    def body(value) -> bytes:
        return json.dumps(value).encode()

    nested: object = 1.0
    for _ in range(40):  # 40 levels of lists inside one cell
        nested = [nested]
    deep = {"dataframe_split": {"columns": columns, "data": [[nested, 1.0, 9]]}}
    return [
        ("invalid JSON", "POST", path, b'{"dataframe_split": {', {}, 400),
        ("empty body", "POST", path, b"", {}, 400),
        ("JSON null", "POST", path, b"null", {}, 400),
        ("top-level list", "POST", path, body(rows.head(1).to_dict(orient="records")), {}, 400),
        ("top-level number", "POST", path, b"42", {}, 400),
        ("no format key", "POST", path, body({"data": one_row}), {}, 400),
        ("two format keys", "POST", path, body({**good, "instances": [one_row]}), {}, 400),
        ("unknown key beside the data", "POST", path, body({**good, "extra": 1}), {}, 400),
        ("missing column", "POST", path, body({"dataframe_split": {"columns": columns[:2], "data": [one_row[:2]]}}),
         {}, 400),
        ("wrong type", "POST", path, body({"dataframe_split": {"columns": columns, "data": [["far", 1.0, 9]]}}), {},
         400),
        ("null in a required column", "POST", path,
         body({"dataframe_records": [{**rows.head(1).to_dict(orient="records")[0], "distance": None}]}), {}, 400),
        ("empty data", "POST", path, body({"dataframe_split": {"columns": columns, "data": []}}), {}, 400),
        ("empty records", "POST", path, body({"dataframe_records": []}), {}, 400),
        ("rows of the wrong length", "POST", path, body({"dataframe_split": {"columns": columns, "data": [[1.0]]}}),
         {}, 400),
        ("format value of the wrong kind", "POST", path, body({"dataframe_split": "distance=1"}), {}, 400),
        ("params not an object", "POST", path, body({**good, "params": [1, 2]}), {}, 400),
        ("client_request_id not a string", "POST", path, body({**good, "client_request_id": 42}), {}, 400),
        ("deeply nested JSON", "POST", path, body(deep), {}, 400),
        ("very deeply nested JSON", "POST", path, b"[" * 20_000 + b"]" * 20_000, {}, 400),
        ("oversized body", "POST", path, b'{"inputs": [' + b"1.0," * 40_000 + b"1.0]}", {}, 413),
        ("not UTF-8", "POST", path, b'{"inputs": ["\xff\xfe"]}', {}, 400),
        ("wrong content type", "POST", path, body(good), {"content-type": "text/plain"}, 415),
        ("no content type", "POST", path, body(good), {"content-type": ""}, 415),
        ("unknown legacy format", "POST", path, body(good), {"content-type": "application/json; format=pandas-columns"},
         415),
        ("charset other than UTF-8", "POST", path, body(good), {"content-type": "application/json; charset=latin-1"},
         415),
        ("malformed CSV", "POST", path, b"distance,dep_delay\n1,2,3,4\n\"", {"content-type": "text/csv"}, 400),
        ("unknown endpoint", "POST", "/serving-endpoints/nope/invocations", body(good), {}, 404),
        ("unknown served model", "POST", "/serving-endpoints/delays/served-models/nope/invocations", body(good), {},
         404),
        ("unknown registered model (legacy route)", "POST", "/model/no_such_model/1/invocations", body(good), {}, 404),
        ("wrong method", "GET", path, None, {}, 405),
        ("unknown route", "POST", "/invocations-please", body(good), {}, 404),
        ("config percentages not summing to 100", "PUT", "/api/2.0/serving-endpoints/delays/config",
         body(endpoint_config(champion=100) | {"traffic_config": {"routes": [
             {"served_model_name": "champion", "traffic_percentage": 70}]}}), {}, 400),
        ("config that is not JSON", "PUT", "/api/2.0/serving-endpoints/delays/config", b"served_entities: []", {}, 400),
    ]


def test_malformed_requests_get_a_4xx_that_names_the_problem_and_the_server_stays_up(server, registry):
    rows = registry["rows"]
    cases = malformed_requests(rows)
    assert len({kind for kind, *_ in cases}) >= 20
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for kind, method, path, content, headers, status in cases:
            sent_headers = {"content-type": "application/json", **headers, **auth}
            if sent_headers["content-type"] == "":
                del sent_headers["content-type"]
            answer = http.request(method, path, content=content, headers=sent_headers)
            assert answer.status_code == status, f"{kind}: expected {status}, got {answer.status_code}: {answer.text}"
            message = answer.json()["message"]
            assert len(message) > 20, f"{kind}: the message {message!r} does not say what is wrong"
            if path.endswith("delays/invocations") and status == 400 and kind not in (
                    "invalid JSON", "empty body", "JSON null", "top-level list", "top-level number", "not UTF-8",
                    "deeply nested JSON", "very deeply nested JSON", "client_request_id not a string"):
                assert [c["name"] for c in answer.json()["expected_schema"]] == FEATURES, kind
        healthy = http.post("/serving-endpoints/delays/invocations", json=split_body(rows.head(2)), headers=auth)
    assert healthy.status_code == 200 and len(healthy.json()["predictions"]) == 2, "the server must still answer"
    assert server.running


def test_config_changes_drop_no_request_under_concurrent_load(server, registry):
    """Four clients score without pause while the split changes, the challenger is promoted, rolled back,
    and a model not yet in memory is loaded: every request is answered 200, by the config it was sent under."""
    rows = registry["rows"].head(1)
    body = split_body(rows)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    stop = threading.Event()
    answered: list[tuple[float, str]] = []
    failures: list[str] = []

    def load() -> None:
        with httpx.Client(timeout=30, headers=auth) as http:
            while not stop.is_set():
                sent = time.monotonic()
                try:
                    answer = http.post(server.invocations_url(), json=body)
                except httpx.HTTPError as error:
                    failures.append(repr(error))
                    continue
                if answer.status_code != 200:
                    failures.append(f"{answer.status_code}: {answer.text}")
                else:
                    answered.append((sent, answer.headers["served-model-name"]))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    versions = []
    fresh = {"served_entities": [{"name": "fresh", "model_uri": registry["uris"][1]}]}  # not in memory yet
    steps = [endpoint_config(champion=50),   # a new split
             endpoint_config(champion=0),    # the challenger promoted
             endpoint_config(champion=100),  # rolled back
             fresh,                          # a model loaded while requests flow
             endpoint_config(champion=100)]
    try:
        time.sleep(0.5)
        for config in steps:
            versions.append(server.update_config(config)["config"]["config_version"])
            changed = time.monotonic()  # the PUT has returned: every request sent from now on sees the new config
            live = {route["served_model_name"] for route in config.get("traffic_config", {}).get("routes", [])
                    if route["traffic_percentage"] > 0} or {"fresh"}
            deadline = changed + 10
            while True:
                after = [name for at, name in list(answered) if at > changed]
                if len(after) >= 8 or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            assert after and set(after) <= live, f"after the change to {live}, requests went to {set(after)}"
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not failures, f"{len(failures)} requests failed during config changes, e.g. {failures[:3]}"
    assert len(answered) > 50, f"only {len(answered)} requests answered: the load did not run"
    assert versions == sorted(versions) and len(set(versions)) == 5

