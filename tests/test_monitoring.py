"""mldeploy.DataProfile: the profile and drift metric tables of a data-profiling monitor, computed locally."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mldeploy import DataProfile, MonitorError
from mldeploy.monitoring import population_stability_index


def _rows(day: str, n: int, shift: float, rng: np.random.Generator, carriers=("AA", "UA")) -> pd.DataFrame:
    x = rng.normal(shift, 1.0, n)
    x[:5] = np.nan                                          # five missing values per day
    return pd.DataFrame({"ts": pd.Timestamp(day) + pd.to_timedelta(rng.integers(0, 86_400, n), unit="s"),
                         "x": x, "carrier": rng.choice(list(carriers), n),
                         "p": rng.uniform(0, 1, n), "model_version": "3"})


@pytest.fixture(scope="module")
def scored(spark, tmp_path_factory):
    """Three consecutive days of scored rows (the third shifted, with a new carrier), and a baseline."""
    rng = np.random.default_rng(7)
    folder = tmp_path_factory.mktemp("monitoring")
    days = pd.concat([_rows("2013-07-01", 400, 0.0, rng), _rows("2013-07-02", 300, 0.1, rng),
                      _rows("2013-07-03", 500, 2.0, rng, carriers=("AA", "UA", "B6"))], ignore_index=True)
    baseline = _rows("2013-04-01", 1000, 0.0, rng).drop(columns=["ts", "model_version"])
    spark.createDataFrame(days).write.format("delta").save(str(folder / "scored"))
    spark.createDataFrame(baseline).write.format("delta").save(str(folder / "baseline"))
    return folder, days, baseline


def _refresh(spark, folder, **options):
    monitor = DataProfile(spark, str(folder / "scored"), str(folder / "metrics"), timestamp_col="ts",
                          prediction_col="p", model_id_col="model_version", **options)
    written = monitor.refresh()
    profile = spark.read.format("delta").load(monitor.profile_metrics_path).toPandas()
    drift = spark.read.format("delta").load(monitor.drift_metrics_path).toPandas()
    for frame in (profile, drift):
        frame["day"] = frame["window"].map(lambda w: pd.Timestamp(w["start"]).strftime("%Y-%m-%d"))
    return written, profile, drift


@pytest.fixture(scope="module")
def daily(spark, scored):
    """One refresh of a daily profile with a baseline: (rows written, profile metrics, drift metrics)."""
    folder, *_ = scored
    return _refresh(spark, folder, baseline=str(folder / "baseline"))


def test_profile_metrics_count_every_window_and_column(scored, daily):
    _, days, _ = scored
    written, profile, _ = daily
    assert written["profile_metrics"] == len(profile) == 3 * 3             # 3 windows x (x, carrier, p)
    assert profile["model_id"].eq("3").all() and profile["slice_key"].isna().all()
    x = profile[profile["column_name"] == "x"].set_index("day")
    for day, part in days.groupby(days["ts"].dt.strftime("%Y-%m-%d")):
        assert x.loc[day, "count"] == len(part) and x.loc[day, "num_nulls"] == 5
        assert x.loc[day, "avg"] == pytest.approx(part["x"].mean())
        assert x.loc[day, "quantiles"][0] == pytest.approx(part["x"].min())
        window = profile[(profile["day"] == day)]["window"].iloc[0]
        assert pd.Timestamp(window["end"]) - pd.Timestamp(window["start"]) == pd.Timedelta(days=1)
    carrier = profile[profile["column_name"] == "carrier"].set_index("day")
    assert carrier.loc["2013-07-03", "data_type"] == "string" and carrier.loc["2013-07-03", "distinct_count"] == 3
    assert carrier["avg"].isna().all()


def test_drift_metrics_against_the_baseline_and_the_previous_window(scored, daily):
    _, days, baseline = scored
    written, _, drift = daily
    assert written["drift_metrics"] == len(drift) == 3 * 3 + 2 * 3          # baseline: every window; consecutive: 2
    base = drift[drift["drift_type"] == "BASELINE"].set_index(["day", "column_name"])
    shifted = days[days["ts"].dt.day == 3]
    assert base.loc[("2013-07-03", "x"), "population_stability_index"] == pytest.approx(
        population_stability_index(baseline["x"].dropna().to_numpy(), shifted["x"].dropna().to_numpy()))
    assert base.loc[("2013-07-03", "x"), "population_stability_index"] > 0.25 > base.loc[("2013-07-01", "x"), "population_stability_index"]
    ks = stats.ks_2samp(baseline["x"].dropna(), shifted["x"].dropna())
    assert base.loc[("2013-07-03", "x"), "ks_test"]["statistic"] == pytest.approx(ks.statistic)
    assert base.loc[("2013-07-03", "x"), "avg_delta"] == pytest.approx(shifted["x"].mean() - baseline["x"].mean())
    share_b6 = (shifted["carrier"] == "B6").mean()                          # a carrier the baseline never saw
    assert base.loc[("2013-07-03", "carrier"), "tv_distance"] >= share_b6 - 1e-9
    assert base.loc[("2013-07-03", "carrier"), "chi_squared_test"]["pvalue"] < 0.01
    assert base["window_cmp"].isna().all()
    consecutive = drift[drift["drift_type"] == "CONSECUTIVE"]
    assert sorted(consecutive["day"].unique()) == ["2013-07-02", "2013-07-03"]
    cmp_days = consecutive.apply(lambda r: pd.Timestamp(r["window_cmp"]["start"]) + pd.Timedelta(days=1)
                                 == pd.Timestamp(r["window"]["start"]), axis=1)
    assert cmp_days.all(), "a consecutive drift row compares a window with the one just before it"


def test_no_consecutive_drift_across_a_gap_and_no_baseline_drift_without_a_baseline(spark, scored, tmp_path):
    folder, days, _ = scored
    gap = days[days["ts"].dt.day != 2]
    spark.createDataFrame(gap).write.format("delta").save(str(tmp_path / "scored"))
    written, profile, drift = _refresh(spark, tmp_path)
    assert written == {"profile_metrics": 2 * 3, "drift_metrics": 0}
    assert drift.empty and set(profile["day"]) == {"2013-07-01", "2013-07-03"}


def test_a_monthly_profile_cuts_calendar_months(spark, scored):
    folder, *_ = scored
    _, profile, _ = _refresh(spark, folder, granularity="1 month")
    window = profile["window"].iloc[0]
    assert (pd.Timestamp(window["start"]), pd.Timestamp(window["end"])) == (pd.Timestamp("2013-07-01"), pd.Timestamp("2013-08-01"))
    assert profile[profile["column_name"] == "x"]["count"].tolist() == [1200]


def test_a_misconfigured_monitor_says_what_to_change(spark, scored):
    folder, *_ = scored
    with pytest.raises(MonitorError, match="granularity '2 days' is not one of"):
        DataProfile(spark, str(folder / "scored"), str(folder / "m2"), timestamp_col="ts", prediction_col="p",
                    granularity="2 days")
    with pytest.raises(MonitorError, match=r"no column\(s\) \['delay_probability'\]"):
        DataProfile(spark, str(folder / "scored"), str(folder / "m2"), timestamp_col="ts",
                    prediction_col="delay_probability").refresh()
    with pytest.raises(MonitorError, match="baseline table .* lacks the profiled column"):
        DataProfile(spark, str(folder / "scored"), str(folder / "m2"), timestamp_col="ts", prediction_col="p",
                    columns=["x", "model_version"], baseline=str(folder / "baseline")).refresh()
