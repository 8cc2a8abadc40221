"""The online store (mldeploy.online_store): round trip, upsert, missing keys, hostile names, Spark frames."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from mldeploy.online_store import STORE_VARIABLE, OnlineStore, UnknownTableError


@pytest.fixture
def store(tmp_path) -> OnlineStore:
    with OnlineStore(tmp_path / "store.db") as opened:
        yield opened


def predictions(keys, probability: float = 0.25) -> pd.DataFrame:
    return pd.DataFrame({
        "flight_id": pd.Series(keys, dtype="int64"),
        "flight_date": [date(2013, 11, 5)] * len(keys),
        "delay_probability": [probability] * len(keys),
        "model_version": ["3"] * len(keys),
        "scored_at": [datetime(2026, 1, 2, 3, 4, 5)] * len(keys),
    })


def test_round_trip_keeps_values_and_types(store):
    assert store.publish("flight_predictions", predictions([1, 2, 3]), key="flight_id") == 3
    row = store.get("flight_predictions", 2)
    assert row == {"flight_id": 2, "flight_date": date(2013, 11, 5), "delay_probability": 0.25,
                   "model_version": "3", "scored_at": datetime(2026, 1, 2, 3, 4, 5)}
    many = store.get_many("flight_predictions", [3, 1])
    assert many["flight_id"].tolist() == [3, 1]
    assert store.tables() == ["flight_predictions"]


def test_publish_upserts_instead_of_duplicating(store):
    store.publish("flight_predictions", predictions([1, 2, 3], 0.25), key="flight_id")
    store.publish("flight_predictions", predictions([2, 3, 4], 0.75), key="flight_id")
    store.publish("flight_predictions", predictions([2, 3, 4], 0.75), key="flight_id")
    assert store.count("flight_predictions") == 4
    assert store.get("flight_predictions", 1)["delay_probability"] == 0.25
    assert store.get("flight_predictions", 3)["delay_probability"] == 0.75


def test_missing_key_is_none_and_absent_from_get_many(store):
    store.publish("flight_predictions", predictions([1, 2]), key="flight_id")
    assert store.get("flight_predictions", 99) is None
    assert store.get_many("flight_predictions", [1, 99])["flight_id"].tolist() == [1]


def test_unknown_table_lists_the_tables(store):
    store.publish("flight_predictions", predictions([1]), key="flight_id")
    with pytest.raises(UnknownTableError, match="flight_predictions"):
        store.get("flights", 1)


@pytest.mark.parametrize("table, column", [
    ("x; DROP TABLE flight_predictions", "flight_id"),
    ("flight predictions", "flight_id"),
    ('x"', "flight_id"),
    ("flight_predictions", "delay) --"),
    ("1table", "flight_id"),
])
def test_hostile_names_are_refused(store, table, column):
    frame = predictions([1]).rename(columns={"delay_probability": column}) if column != "flight_id" else predictions([1])
    with pytest.raises(ValueError, match="Invalid"):
        store.publish(table, frame, key="flight_id")
    if table != "flight_predictions":
        with pytest.raises(ValueError, match="Invalid"):
            store.get(table, 1)
    assert store.tables() == []


def test_values_are_bound_not_formatted(store):
    frame = pd.DataFrame({"name": ["'); DROP TABLE people; --"], "age": [1]})
    store.publish("people", frame, key="name")
    assert store.get("people", "'); DROP TABLE people; --") == {"name": "'); DROP TABLE people; --", "age": 1}
    assert store.tables() == ["people"]


def test_bad_frames_say_what_to_do(store):
    with pytest.raises(ValueError, match="repeats"):
        store.publish("t", pd.DataFrame({"k": [1, 1], "v": [1, 2]}), key="k")
    with pytest.raises(ValueError, match="no key column"):
        store.publish("t", pd.DataFrame({"v": [1]}), key="k")
    store.publish("t", pd.DataFrame({"k": [1], "v": [1]}), key="k")
    with pytest.raises(ValueError, match="drop"):
        store.publish("t", pd.DataFrame({"k": [1], "w": [1]}), key="k")
    store.drop("t")
    store.publish("t", pd.DataFrame({"k": [1], "w": [1]}), key="k")
    assert store.get("t", 1) == {"k": 1, "w": 1}


def test_environment_variable_names_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_VARIABLE, f"sqlite:///{tmp_path / 'elsewhere.db'}")
    with OnlineStore() as store:
        store.publish("t", pd.DataFrame({"k": [1], "v": [2.5]}), key="k")
    assert (tmp_path / "elsewhere.db").exists()


def test_publish_a_spark_frame(store, spark):
    frame = spark.createDataFrame(predictions([10, 11, 12]))
    assert store.publish("flight_predictions", frame, key="flight_id") == 3
    assert store.get("flight_predictions", 11)["delay_probability"] == 0.25
    assert store.count("flight_predictions") == 3
