"""Model Serving under load: provisioned concurrency, AI Gateway rate limits per token, and scale-to-zero.

A served entity's ``workload_size`` (Small 4, Medium 16, Large 64) or ``max_provisioned_concurrency`` is the
number of requests it scores at once; a few more wait, the rest get 429 at once. An endpoint's
``ai_gateway.rate_limits`` cap calls per minute for the whole endpoint and for each bearer token. A served
entity with ``scale_to_zero_enabled`` leaves memory when idle and the next requests load it again. A real
uvicorn server with two tokens serves a slow model that answers with the number of calls it is running at that
moment, so the clients see the concurrency the server allowed; the gate, the rate limiter and a load that
takes too long are also checked in this process, where a test controls when a call or a load ends and what
time it is.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

pytestmark = [pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")]

TOKENS = ("limits-token-a", "limits-token-b")
BODY = {"dataframe_records": [{"x": 1.0}]}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Not registered: a slow model (0.2 s a call, answers how many calls it is running), two constant ones, and
    one whose loading waits while a 'hold' file exists."""
    import mlflow

    folder = tmp_path_factory.mktemp("serving-limits")
    hold = folder / "hold-load"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder / 'mlflow.db'}")
        patch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            uris = {}
            for name, model, config in (("slow", _slow_model(0.2), None), ("constant", _constant_model(), None),
                                        ("sleepy", _constant_model(), None),
                                        ("gated", _constant_model(), {"hold": str(hold)})):
                with mlflow.start_run():
                    uris[name] = mlflow.pyfunc.log_model(name=name, python_model=model, pip_requirements=[],
                                                         model_config=config).model_uri
        yield {"folder": folder, "hold": hold, **uris}


def _slow_model(seconds: float):
    import mlflow

    class SlowModel(mlflow.pyfunc.PythonModel):
        def load_context(self, context):
            import threading

            self._lock, self._running = threading.Lock(), 0

        def predict(self, context, model_input, params=None):
            import time

            with self._lock:
                self._running += 1
                running = self._running
            try:
                time.sleep(seconds)
            finally:
                with self._lock:
                    self._running -= 1
            return [running] * len(model_input)

    return SlowModel()


def _constant_model():
    """Answers 0; with model_config {"hold": path}, its loading waits while that file exists."""
    import mlflow

    class ConstantModel(mlflow.pyfunc.PythonModel):
        def load_context(self, context):
            import os
            import time

            hold, deadline = (context.model_config or {}).get("hold"), time.monotonic() + 300
            while hold and os.path.exists(hold) and time.monotonic() < deadline:
                time.sleep(0.05)

        def predict(self, context, model_input, params=None):
            return [0] * len(model_input)

    return ConstantModel()


@pytest.fixture(scope="module")
def server(models):
    from mldeploy.serving import ServingEndpoint

    def slow(**size) -> dict:
        return {"served_entities": [{"name": "slow", "model_uri": models["slow"], **size}]}

    config = {"endpoints": [
        {"name": "small", "config": slow(workload_size="Small")},
        {"name": "custom", "config": slow(min_provisioned_concurrency=2, max_provisioned_concurrency=6)},
        {"name": "limited", "config": {"served_entities": [{"name": "constant", "model_uri": models["constant"]}]},
         "ai_gateway": {"rate_limits": [{"calls": 3, "key": "user", "renewal_period": "minute"},
                                        {"calls": 5, "key": "endpoint", "renewal_period": "minute"}]}},
        {"name": "sleepy", "config": {"served_entities": [{"name": "sleepy", "model_uri": models["sleepy"],
                                                           "scale_to_zero_enabled": True}]}},
    ], "scale_to_zero_after_seconds": 2}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(models["folder"])
        endpoint = ServingEndpoint.start(config, port=18560, token=list(TOKENS), inference_log=None)
    yield endpoint
    endpoint.stop()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Return once ``condition()`` holds; fail after ``timeout`` s (a bound on a broken server, not a timing claim)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.1)


def metric(server, name: str, **labels: str) -> float:
    """One sample of the server's /metrics, by name and labels (0 when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(server.metrics()):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


# --- provisioned concurrency --------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint, limit", [("small", 4), ("custom", 6)])
def test_the_concurrency_limit_holds_under_32_concurrent_clients(server, endpoint, limit):
    """32 clients at once, 4 requests each: never more than `limit` scored at once, each request answered or
    refused with 429, and the server's counters agree with what the clients saw."""
    labels = {"endpoint": endpoint, "served_model": "slow"}
    refused_before = metric(server, "mldeploy_serving_refused_total", **labels)
    start = threading.Barrier(32)

    def client(_: int) -> list[tuple[int, dict, httpx.Headers]]:
        with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {TOKENS[0]}"}) as http:
            start.wait()
            answers = [http.post(server.invocations_url(endpoint), json=BODY) for _ in range(4)]
        return [(answer.status_code, answer.json(), answer.headers) for answer in answers]

    with ThreadPoolExecutor(32) as pool:
        outcomes = [outcome for answers in pool.map(client, range(32)) for outcome in answers]
    statuses = Counter(status for status, _, _ in outcomes)
    assert set(statuses) <= {200, 429} and sum(statuses.values()) == 128, statuses
    assert statuses[200] >= limit and statuses[429] >= 1, f"32 clients on a limit of {limit}: {statuses}"
    running = [body["predictions"][0] for status, body, _ in outcomes if status == 200]
    assert max(running) == limit, f"the model ran up to {max(running)} calls at once; the limit is {limit}"
    for status, body, headers in outcomes:
        if status == 429:
            assert "Too many concurrent requests" in body["message"] and headers["retry-after"] == "1"
    assert metric(server, "mldeploy_serving_in_flight_max", **labels) == limit
    assert metric(server, "mldeploy_serving_refused_total", **labels) - refused_before == statuses[429]
    assert metric(server, "mldeploy_serving_concurrency_limit", **labels) == limit
    assert metric(server, "mldeploy_serving_queue_limit", **labels) == limit, "the queue defaults to the limit"
    assert metric(server, "mldeploy_serving_in_flight", **labels) == 0 == metric(server, "mldeploy_serving_queued",
                                                                                 **labels)


def test_the_gate_scores_limit_at_once_holds_queue_more_and_refuses_the_rest():
    """In this process, with calls that end when the test says: 2 run, 1 waits, the 4th is refused, all 3 finish."""
    import anyio

    from mldeploy.serving.concurrency import ConcurrencyGate
    from mldeploy.serving.scoring import RequestError

    gate = ConcurrencyGate(2, 1, "served model 'm' of endpoint 'e'", "max_provisioned_concurrency 2")
    release = threading.Event()
    answered: list[int] = []

    def score(number: int) -> int:
        release.wait(60)
        return number

    async def call(number: int) -> None:
        answered.append(await gate.run(score, number))

    async def main() -> RequestError:
        async with anyio.create_task_group() as group:
            for number in range(3):
                group.start_soon(call, number)
            with anyio.fail_after(60):  # a bound on a broken gate, not a timing claim
                while (gate.in_flight, gate.queued) != (2, 1):
                    await anyio.sleep(0.01)
            with pytest.raises(RequestError) as refused:
                await gate.run(score, 3)
            release.set()
        return refused.value

    refused = anyio.run(main)
    assert refused.status == 429 and refused.headers == {"Retry-After": "1"}
    assert "'m' of endpoint 'e' scores 2 at once (max_provisioned_concurrency 2) and 1 more" in refused.message
    assert sorted(answered) == [0, 1, 2], "the queued call is answered, not dropped"
    assert (gate.peak, gate.refused, gate.in_flight, gate.queued) == (2, 1, 0, 0)


@pytest.mark.parametrize("served, limit", [
    ({"workload_size": "Small"}, 4), ({"workload_size": "medium"}, 16), ({"workload_size": "Large"}, 64),
    ({"min_provisioned_concurrency": 0, "max_provisioned_concurrency": 12}, 12), ({}, None),
])
def test_workload_sizes_map_to_databricks_concurrency(served, limit):
    from mldeploy.serving import parse_endpoint_config

    config = parse_endpoint_config("e", {"served_entities": [{"name": "m", "model_uri": "runs:/x/m", **served}]})
    assert config.served[0].concurrency == limit
    assert config.served[0].to_dict().items() >= served.items(), "the fields are reported back as given"


@pytest.mark.parametrize("served, words", [
    ({"workload_size": "Huge"}, "not a size"),
    ({"workload_size": "Small", "max_provisioned_concurrency": 8}, "not both"),
    ({"min_provisioned_concurrency": 8, "max_provisioned_concurrency": 4}, "at least min"),
    ({"min_provisioned_concurrency": 4}, "max_provisioned_concurrency must be"),
    ({"max_provisioned_concurrency": "8"}, "whole number"),
    ({"scale_to_zero_enabled": "yes"}, "true or false"),
])
def test_a_bad_size_is_refused_with_what_to_write(served, words):
    from mldeploy.serving import ConfigError, parse_endpoint_config

    with pytest.raises(ConfigError, match=words):
        parse_endpoint_config("e", {"served_entities": [{"name": "m", "model_uri": "runs:/x/m", **served}]})


# --- rate limits --------------------------------------------------------------------------------------------

def test_rate_limits_count_each_token_and_the_whole_endpoint(server):
    """3 calls a minute per user, 5 for the endpoint: token A gets 3, token B the 2 left; PUT ai-gateway lifts them."""
    url = server.invocations_url("limited")
    user_limited = metric(server, "mldeploy_serving_rate_limited_total", endpoint="limited", key="user")
    endpoint_limited = metric(server, "mldeploy_serving_rate_limited_total", endpoint="limited", key="endpoint")
    a, b = (httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) for token in TOKENS)
    with a, b:
        assert httpx.post(url, json=BODY).status_code == 401, "no token: refused, and not counted"
        assert [a.post(url, json=BODY).status_code for _ in range(3)] == [200, 200, 200]
        refused = a.post(url, json=BODY)
        assert refused.status_code == 429 and "for each user" in refused.json()["message"]
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert [b.post(url, json=BODY).status_code for _ in range(2)] == [200, 200], "token B has its own count"
        refused = b.post(server.invocations_url("limited", served_model="constant"), json=BODY)
        assert refused.status_code == 429 and "all callers together" in refused.json()["message"]
        assert metric(server, "mldeploy_serving_rate_limited_total", endpoint="limited", key="user") - user_limited == 1
        assert metric(server, "mldeploy_serving_rate_limited_total", endpoint="limited",
                      key="endpoint") - endpoint_limited == 1

        lifted = a.put(f"{server.url}/api/2.0/serving-endpoints/limited/ai-gateway", json={
            "rate_limits": [{"calls": 4, "key": "user", "renewal_period": "minute"}]})
        assert lifted.status_code == 200, lifted.text
        assert [a.post(url, json=BODY).status_code for _ in range(2)] == [200, 429], "counts go on under a new limit"
        removed = a.put(f"{server.url}/api/2.0/serving-endpoints/limited/rate-limits", json={"rate_limits": []})
        assert removed.json() == {"rate_limits": []}
        assert a.post(url, json=BODY).status_code == 200
        assert "ai_gateway" not in server.get("limited")


def test_a_rate_limit_window_renews_after_a_minute_and_refusals_do_not_count():
    from mldeploy.serving.rate_limits import RateLimit, RateLimiter
    from mldeploy.serving.scoring import RequestError

    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    per_user = (RateLimit(calls=2, key="user"),)
    limiter.check("e", per_user, "user-1")
    now[0] += 30
    limiter.check("e", per_user, "user-1")
    limiter.check("e", per_user, "user-2")
    for waited in (0, 29):
        now[0] = 1030.0 + waited
        with pytest.raises(RequestError) as refused:
            limiter.check("e", per_user, "user-1")
        assert refused.value.status == 429 and refused.value.headers["Retry-After"] == str(30 - waited)
    now[0] = 1060.0  # a minute after user-1's first call: a new window
    limiter.check("e", per_user, "user-1")
    limiter.check("e", per_user, "user-1")
    assert limiter.refused == {("e", "user"): 2}


@pytest.mark.parametrize("limits, words", [
    ([{"calls": 10, "key": "user_group", "renewal_period": "minute"}], "'endpoint' .*or 'user'"),
    ([{"tokens": 1000, "key": "user", "renewal_period": "minute"}], "no LLM tokens"),
    ([{"calls": 10, "key": "user", "principal": "someone@example.com", "renewal_period": "minute"}], "principals"),
    ([{"calls": 10, "renewal_period": "hour"}], "\"minute\""),
    ([{"calls": -1, "renewal_period": "minute"}], "whole number"),
    ([{"calls": 1, "renewal_period": "minute"}, {"calls": 2, "key": "endpoint", "renewal_period": "minute"}],
     "one per key"),
    ({"calls": 1}, "must be a list"),
])
def test_a_bad_rate_limit_is_refused_with_what_to_write(limits, words):
    from mldeploy.serving import ConfigError
    from mldeploy.serving.rate_limits import parse_ai_gateway

    with pytest.raises(ConfigError, match=words):
        parse_ai_gateway({"rate_limits": limits})


# --- scale to zero ------------------------------------------------------------------------------------------

def test_an_idle_model_scales_to_zero_and_the_next_requests_load_it_again(server):
    """Twice: the model leaves memory after 2 s without requests, then 8 clients at once all get their answer."""
    labels = {"endpoint": "sleepy", "served_model": "sleepy"}
    url = server.invocations_url("sleepy")

    def post(_: int) -> httpx.Response:
        return httpx.post(url, json=BODY, headers={"Authorization": f"Bearer {TOKENS[1]}"}, timeout=120)

    for cycle in (1, 2):
        wait_for(lambda: metric(server, "mldeploy_serving_model_loaded", **labels) == 0, "the model to scale to zero")
        state = server.get("sleepy")["config"]["served_entities"][0]["state"]
        assert state == {"deployment": "DEPLOYMENT_READY",
                         "deployment_state_message": "Scaled to zero: the next request loads it again"}
        assert metric(server, "mldeploy_serving_scaled_to_zero_total", **labels) >= cycle
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(post, range(8)))
        assert [(answer.status_code, answer.json()["predictions"]) for answer in answers] == [(200, [0])] * 8
        assert metric(server, "mldeploy_serving_scaled_from_zero_total", **labels) >= cycle
    assert server.get("small")["config"]["served_entities"][0]["state"]["deployment_state_message"] == "", \
        "a served model without scale_to_zero_enabled stays in memory"


def test_a_request_waiting_too_long_for_a_load_gets_503_and_the_load_goes_on(models):
    """In this process: the model scales to zero; its next load waits for a file, so a request gets 503 "scaling
    from zero" after the 1 s timeout; once the file is gone the load ends and requests are answered again."""
    from fastapi.testclient import TestClient

    from mldeploy.serving import create_app

    config = {"endpoints": [{"name": "gated", "config": {"served_entities": [
        {"name": "gated", "model_uri": models["gated"], "scale_to_zero_enabled": True}]}}],
        "scale_to_zero_after_seconds": 1, "scale_from_zero_timeout_seconds": 1}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(models["folder"])
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{models['folder'] / 'mlflow.db'}")
        app = create_app(config, auth_token=None, inference_log=None)
    serving = app.state.serving
    model = serving.service.endpoints["gated"].models["gated"]
    try:
        with TestClient(app) as client:
            wait_for(lambda: model.model is None, "the model to scale to zero")
            serving.scaler.idle_seconds = 3600  # no second unload while the test looks at the first load
            models["hold"].touch()
            waited = client.post("/serving-endpoints/gated/invocations", json=BODY)
            assert waited.status_code == 503 and waited.headers["retry-after"] == "1"
            assert "Scaling from zero" in waited.json()["message"] and "the load goes on" in waited.json()["message"]
            models["hold"].unlink()
            wait_for(lambda: model.model is not None, "the load to end")
            answered = client.post("/serving-endpoints/gated/invocations", json=BODY)
            assert answered.status_code == 200 and answered.json()["predictions"] == [0]
            assert serving.scaler.scaled_from_zero[model.uri] == 1, "one load, though two requests asked for it"
    finally:
        models["hold"].unlink(missing_ok=True)
        serving.close()


def test_the_reaper_keeps_a_model_that_a_served_entity_without_scale_to_zero_shares():
    """In this process, on a fake clock: an idle model unloads only when every served entity using it scales to zero."""
    from types import SimpleNamespace

    from mldeploy.serving import parse_endpoint_config
    from mldeploy.serving.models import LoadedModel, ModelLoader
    from mldeploy.serving.scale_to_zero import ScaleToZero

    shared, alone = (LoadedModel(uri, object(), None, False) for uri in ("runs:/a/m", "runs:/b/m"))

    def state(name: str, served: list[dict], models: dict) -> SimpleNamespace:
        return SimpleNamespace(config=parse_endpoint_config(name, {"served_entities": served, "traffic_config": {
            "routes": [{"served_model_name": served[0]["name"], "traffic_percentage": 100}]}}), models=models)

    endpoints = {
        "e1": state("e1", [{"name": "s", "model_uri": "runs:/a/m", "scale_to_zero_enabled": True},
                           {"name": "t", "model_uri": "runs:/b/m", "scale_to_zero_enabled": True}],
                    {"s": shared, "t": alone}),
        "e2": state("e2", [{"name": "u", "model_uri": "runs:/a/m"}], {"u": shared}),
    }
    now = [0.0]
    service = SimpleNamespace(endpoints=endpoints, legacy_uris=set(), loader=ModelLoader())
    scaler = ScaleToZero(service, idle_seconds=60, load_timeout=5, clock=lambda: now[0])
    assert scaler.reap() == []
    now[0] = 59.0
    assert scaler.reap() == [], "not idle long enough"
    now[0] = 60.0
    assert scaler.reap() == ["runs:/b/m"] and alone.model is None and shared.model is not None
    del endpoints["e2"]
    assert scaler.reap() == ["runs:/a/m"] and shared.model is None
