"""The serving endpoint publishes one Kafka event per answered request (the ``events`` server setting).

A real broker (``mldeploy.kafka.start_kafka``) and the FastAPI app in this process: each answered request
becomes one record keyed by its ``client_request_id``, holding the predictions the caller got; a refused
request publishes nothing; a bad ``events`` setting is refused before anything starts.
"""

from __future__ import annotations

import json
import uuid

import pytest

from kafka_helpers import read_topic
from test_serving import endpoint_config, registry, split_body  # noqa: F401 (registry is a fixture)

pytestmark = [pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")]


def test_each_answered_request_publishes_one_event_keyed_by_client_request_id(kafka_broker, registry):
    import mlflow
    from fastapi.testclient import TestClient

    from mldeploy.serving import create_app

    topic = f"predictions-{uuid.uuid4().hex[:8]}"
    config = {"endpoints": [{"name": "delays", "config": endpoint_config(champion=100)}],
              "events": {"bootstrap_servers": kafka_broker.bootstrap_servers, "topic": topic}}
    app = create_app(config, auth_token=None, inference_log=None)
    rows = registry["rows"]
    with TestClient(app) as client:
        answers = {}
        for i in range(len(rows)):
            body = {**split_body(rows.iloc[[i]]), "client_request_id": f"flight-{i}"}
            answer = client.post("/serving-endpoints/delays/invocations", json=body)
            assert answer.status_code == 200
            answers[f"flight-{i}"] = answer.json()["predictions"]
        refused = client.post("/serving-endpoints/delays/invocations", json={"dataframe_split": {"columns": ["x"]}})
        assert refused.status_code == 400
    app.state.serving.close()  # flushes the producer
    records = read_topic(kafka_broker.bootstrap_servers, topic, expected=len(rows))
    assert sorted(r.key().decode() for r in records) == sorted(answers), "one event per answered request, no more"
    expected = mlflow.pyfunc.load_model(registry["uris"][0]).predict(rows)
    for record in records:
        event = json.loads(record.value())
        key = record.key().decode()
        assert event["client_request_id"] == key and event["served_model_name"] == "champion"
        assert event["predictions"] == answers[key]
        assert abs(event["predictions"][0][1] - expected[int(key.split("-")[1])][1]) < 1e-9
        assert record.timestamp()[1] == event["timestamp_ms"]


@pytest.mark.parametrize("events", [{"topic": "t"}, {"bootstrap_servers": "x:1", "topic": ""}, "broker:9092",
                                    {"bootstrap_servers": "x:1", "topic": "t", "acks": "all"}])
def test_a_bad_events_setting_is_refused_up_front(events):
    from mldeploy.serving import ConfigError, parse_server_config

    with pytest.raises(ConfigError, match="events"):
        parse_server_config({"endpoints": [{"name": "d", "config": endpoint_config()}], "events": events})
