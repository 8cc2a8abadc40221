"""A data-profiling monitor for one table, run locally: profile and drift metric tables in Databricks' shape.

On Databricks, data profiling (formerly Lakehouse Monitoring, now part of data quality monitoring) watches a
Unity Catalog table. An ``InferenceLog`` profile of a model's predictions is created once, for example with the
Databricks SDK::

    w.quality_monitors.create(table_name="main.serving.delays_scored", output_schema_name="main.monitoring",
                              assets_dir="/Workspace/monitoring", baseline_table_name="main.serving.delays_baseline",
                              inference_log=MonitorInferenceLog(problem_type=MonitorInferenceLogProblemType.PROBLEM_TYPE_CLASSIFICATION,
                                                                timestamp_col="ts", granularities=["1 day"],
                                                                prediction_col="delay_probability",
                                                                model_id_col="model_version"))

and each refresh (``w.quality_monitors.run_refresh(...)``, or on a schedule) rewrites two Delta tables beside it,
``<table>_profile_metrics`` and ``<table>_drift_metrics``, that dashboards and SQL alerts query
(https://docs.databricks.com/aws/en/data-governance/unity-catalog/data-quality-monitoring/data-profiling/monitor-output).
Open-source Spark has no such service, so :class:`DataProfile` does the refresh in this process and writes the two
tables as Delta folders, with the columns of Databricks' tables that a drift alert reads:

- profile metrics, one row per time window, model id and column: ``window`` (struct of ``start``, ``end``),
  ``granularity``, ``model_id_col``, ``model_id``, ``slice_key``, ``slice_value`` (both null: the whole table),
  ``column_name``, ``data_type``, ``count``, ``num_nulls``, ``percent_null``, ``avg``, ``min``, ``max``,
  ``stddev``, ``quantiles`` (0, 0.05, ..., 1), ``distinct_count``;
- drift metrics, one row per window, column and comparison: ``window``, ``window_cmp`` (the window compared
  against; null for the baseline), ``drift_type`` (``BASELINE``: against the baseline table; ``CONSECUTIVE``:
  against the previous window, only when that window exists), ``granularity``, ``model_id_col``, ``model_id``,
  ``slice_key``, ``slice_value``, ``column_name``, ``data_type``, ``count_delta``, ``avg_delta``,
  ``percent_null_delta``, ``ks_test`` (struct of ``statistic``, ``pvalue``; numbers), ``population_stability_index``
  (numbers), ``wasserstein_distance`` (numbers), ``js_distance`` (both kinds), ``chi_squared_test`` (struct;
  categories), ``tv_distance`` (categories).

What differs: no slices, no model-quality metrics (labels arrive later; lesson 07 joins them), every refresh
recomputes every window (Databricks recomputes only windows with new rows), and the statistics are computed
with pandas and SciPy after one collect, which suits a course's tables, not a production one's. The PSI is the
course's definition (lesson 09): deciles of the reference sample, outer edges open, shares clipped at 0.0001;
Databricks documents its PSI as the usual formula without saying how it bins.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

#: Granularities this monitor accepts (Databricks accepts these and more): how a window starts, and its length.
GRANULARITIES = {"1 hour": ("h", pd.DateOffset(hours=1)), "1 day": ("D", pd.DateOffset(days=1)),
                 "1 week": ("W-SUN", pd.DateOffset(weeks=1)), "1 month": ("M", pd.DateOffset(months=1))}
QUANTILES = [round(q, 2) for q in np.linspace(0, 1, 21)]
_WINDOW = "struct<start: timestamp, end: timestamp>"
_TEST = "struct<statistic: double, pvalue: double>"
_KEYS = (f"window {_WINDOW}, granularity string, model_id_col string, model_id string, slice_key string, "
         "slice_value string, column_name string, data_type string")
PROFILE_SCHEMA = (f"{_KEYS}, count long, num_nulls long, percent_null double, avg double, min double, max double, "
                  "stddev double, quantiles array<double>, distinct_count long")
DRIFT_SCHEMA = (f"window {_WINDOW}, window_cmp {_WINDOW}, drift_type string, granularity string, "
                "model_id_col string, model_id string, slice_key string, slice_value string, column_name string, "
                f"data_type string, count_delta double, avg_delta double, percent_null_delta double, ks_test {_TEST}, "
                f"population_stability_index double, wasserstein_distance double, js_distance double, "
                f"chi_squared_test {_TEST}, tv_distance double")


class MonitorError(ValueError):
    """A monitor that cannot run as configured; the message says what to change."""


def _quantile_edges(reference: np.ndarray, bins: int = 10) -> np.ndarray:
    """Bin edges at the reference's quantiles, outer edges open: the yardstick does not move with the data."""
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    edges[0], edges[-1] = -np.inf, np.inf
    return edges


def population_stability_index(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI of ``current`` against ``reference``: the reference's quantile bins, open outer edges, shares >= 1e-4."""
    edges = _quantile_edges(reference, bins)
    expected = np.clip(np.histogram(reference, edges)[0] / len(reference), 1e-4, None)
    actual = np.clip(np.histogram(current, edges)[0] / len(current), 1e-4, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


@dataclass
class DataProfile:
    """An ``InferenceLog`` data profile of the Delta table at ``table``; ``refresh()`` writes its metric tables.

    ``output``: the folder of the two metric tables (``<table name>_profile_metrics``, ``..._drift_metrics``).
    ``timestamp_col``: the time each row is profiled by, cut into windows of ``granularity``.
    ``columns``: the columns to profile (default: every column but the timestamp and the model id);
    ``baseline``: a Delta table path with those columns (the training data with its predictions), for
    ``BASELINE`` drift; without it only ``CONSECUTIVE`` drift is computed.
    """

    spark: Any
    table: str
    output: str
    timestamp_col: str
    prediction_col: str
    granularity: str = "1 day"
    model_id_col: str | None = None
    baseline: str | None = None
    columns: list[str] | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.granularity not in GRANULARITIES:
            raise MonitorError(f"granularity {self.granularity!r} is not one of {sorted(GRANULARITIES)}.")
        self.name = self.name or Path(self.table).name
        self.output = str(self.output)

    @property
    def profile_metrics_path(self) -> str:
        return str(Path(self.output) / f"{self.name}_profile_metrics")

    @property
    def drift_metrics_path(self) -> str:
        return str(Path(self.output) / f"{self.name}_drift_metrics")

    def refresh(self) -> dict[str, int]:
        """Recompute both metric tables from the table as it is now (overwriting them); rows written to each."""
        rows = self.spark.read.format("delta").load(self.table).toPandas()
        columns = self._columns(rows)
        baseline = self._baseline(columns)
        start_of, step = GRANULARITIES[self.granularity]
        rows["_window_start"] = _window_starts(rows[self.timestamp_col], start_of)
        rows["_model_id"] = rows[self.model_id_col].astype(str) if self.model_id_col else ""
        windows = dict(iter(rows.groupby(["_model_id", "_window_start"], sort=True)))
        profile, drift = [], []
        for (model_id, start), part in windows.items():
            window = _window(start, step)
            keys = {"granularity": self.granularity, "model_id_col": self.model_id_col,
                    "model_id": model_id or None, "slice_key": None, "slice_value": None}
            previous = windows.get((model_id, start - step))      # CONSECUTIVE only when that window exists
            for column in columns:
                kind = _kind(rows[column])
                profile.append({"window": window, **keys, "column_name": column, "data_type": kind,
                                **_profile(part[column], kind)})
                if baseline is not None:
                    drift.append({"window": window, "window_cmp": None, "drift_type": "BASELINE", **keys,
                                  "column_name": column, "data_type": kind, **_drift(baseline[column], part[column], kind)})
                if previous is not None:
                    drift.append({"window": window, "window_cmp": _window(start - step, step),
                                  "drift_type": "CONSECUTIVE", **keys, "column_name": column, "data_type": kind,
                                  **_drift(previous[column], part[column], kind)})
        self._write(profile, PROFILE_SCHEMA, self.profile_metrics_path)
        self._write(drift, DRIFT_SCHEMA, self.drift_metrics_path)
        return {"profile_metrics": len(profile), "drift_metrics": len(drift)}

    def _columns(self, rows: pd.DataFrame) -> list[str]:
        skip = {self.timestamp_col, self.model_id_col}
        columns = self.columns or [c for c in rows.columns if c not in skip]
        missing = [c for c in [self.timestamp_col, self.prediction_col, *columns] if c not in rows.columns]
        if self.model_id_col and self.model_id_col not in rows.columns:
            missing.append(self.model_id_col)
        if missing:
            raise MonitorError(f"The table {self.table} has no column(s) {missing}; its columns: {list(rows.columns)}.")
        if self.prediction_col not in columns:
            columns = [*columns, self.prediction_col]
        return columns

    def _baseline(self, columns: list[str]) -> pd.DataFrame | None:
        if self.baseline is None:
            return None
        baseline = self.spark.read.format("delta").load(self.baseline).toPandas()
        missing = [c for c in columns if c not in baseline.columns]
        if missing:
            raise MonitorError(f"The baseline table {self.baseline} lacks the profiled column(s) {missing}: give it "
                               "the same columns as the table (features and the prediction).")
        return baseline

    def _write(self, rows: list[dict[str, Any]], schema: str, path: str) -> None:
        self.spark.createDataFrame(rows, schema).write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(path)


def _window_starts(times: pd.Series, start_of: str) -> pd.Series:
    times = pd.to_datetime(times).dt.tz_localize(None) if getattr(times.dtype, "tz", None) else pd.to_datetime(times)
    if start_of in ("M", "W-SUN"):  # calendar periods: floor() cannot cut months or Monday-based weeks
        return times.dt.to_period(start_of).dt.start_time
    return times.dt.floor(start_of)


def _window(start: pd.Timestamp, step: pd.DateOffset) -> dict[str, Any]:
    return {"start": start.to_pydatetime(), "end": (start + step).to_pydatetime()}


def _kind(values: pd.Series) -> str:
    return "double" if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) else "string"


def _profile(values: pd.Series, kind: str) -> dict[str, Any]:
    present = values.dropna()
    stats_row: dict[str, Any] = {"count": int(len(values)), "num_nulls": int(values.isna().sum()),
                                 "percent_null": float(values.isna().mean() * 100) if len(values) else None,
                                 "distinct_count": int(present.nunique()), "avg": None, "min": None, "max": None,
                                 "stddev": None, "quantiles": None}
    if kind == "double" and len(present):
        numbers = present.astype(float)
        stats_row.update(avg=float(numbers.mean()), min=float(numbers.min()), max=float(numbers.max()),
                         stddev=float(numbers.std()) if len(numbers) > 1 else None,
                         quantiles=[float(q) for q in np.quantile(numbers, QUANTILES)])
    return stats_row


def _drift(reference: pd.Series, current: pd.Series, kind: str) -> dict[str, Any]:
    """The drift of ``current`` against ``reference``: deltas, then tests and distances by the column's kind."""
    row: dict[str, Any] = {"count_delta": float(len(current) - len(reference)),
                           "percent_null_delta": float((current.isna().mean() - reference.isna().mean()) * 100),
                           "avg_delta": None, "ks_test": None, "population_stability_index": None,
                           "wasserstein_distance": None, "js_distance": None, "chi_squared_test": None,
                           "tv_distance": None}
    ref, cur = reference.dropna(), current.dropna()
    if not len(ref) or not len(cur):
        return row
    if kind == "double":
        ref, cur = ref.to_numpy(dtype=float), cur.to_numpy(dtype=float)
        ks = stats.ks_2samp(ref, cur)
        edges = _quantile_edges(ref)
        row.update(avg_delta=float(cur.mean() - ref.mean()),
                   ks_test={"statistic": float(ks.statistic), "pvalue": float(ks.pvalue)},
                   population_stability_index=population_stability_index(ref, cur),
                   wasserstein_distance=float(stats.wasserstein_distance(ref, cur)),
                   js_distance=float(jensenshannon(np.histogram(ref, edges)[0], np.histogram(cur, edges)[0], base=2)))
        return row
    categories = sorted(set(ref.astype(str)) | set(cur.astype(str)))
    ref_counts = ref.astype(str).value_counts().reindex(categories, fill_value=0).to_numpy(dtype=float)
    cur_counts = cur.astype(str).value_counts().reindex(categories, fill_value=0).to_numpy(dtype=float)
    p, q = ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()
    expected = np.clip(p, 1e-4, None)       # a category the reference never saw must not divide by zero
    chi = stats.chisquare(cur_counts, expected / expected.sum() * cur_counts.sum())
    row.update(chi_squared_test={"statistic": float(chi.statistic), "pvalue": float(chi.pvalue)},
               tv_distance=float(0.5 * np.abs(p - q).sum()), js_distance=float(jensenshannon(p, q, base=2)))
    return row
