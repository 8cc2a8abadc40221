"""The arrival-delay feature set: one definition used to build the lake, train and score.

The question every lesson's model answers: *will this flight arrive more than 15 minutes late?*

Two kinds of features, because deployments get them differently:

- **row features** come from the flight's own booking record (``RAW_COLUMNS``): any caller can
  send them, so a model can compute them itself (see ``row_features``);
- **lookup features** (weather at the origin in the departure hour, the plane's age and seats) must
  be looked up by key in other tables, at training time and again at scoring time.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

KEY = "flight_id"
LABEL = "delayed"
DELAY_THRESHOLD_MINUTES = 15

#: What a booking system knows about a flight before it leaves.
RAW_COLUMNS = ["year", "month", "day", "sched_dep_time", "carrier", "origin", "dest", "distance"]
ROW_FEATURES = ["month", "day_of_week", "dep_hour", "distance", "carrier", "origin", "dest"]
LOOKUP_FEATURES = ["temp", "wind_speed", "precip", "visib", "plane_age", "seats"]
FEATURES = ROW_FEATURES + LOOKUP_FEATURES
CATEGORICAL = ["carrier", "origin", "dest"]

#: Train on January to September, test on October to December: never on the future.
TEST_START = date(2013, 10, 1)

#: Types inside a fitted ``delay_classifier`` that MLflow's safe (skops) format must be told to trust.
#: (``skops.io.get_untrusted_types`` lists them; tests/test_features.py keeps this list exact.)
SKOPS_TRUSTED_TYPES = [
    "functools.partial",  # with check_array: how ColumnTransformer passes numbers through
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
]


def row_features(raw: pd.DataFrame) -> pd.DataFrame:
    """Derive the row features from raw booking columns (``RAW_COLUMNS``)."""
    departure_day = pd.to_datetime(raw[["year", "month", "day"]])
    return pd.DataFrame(
        {
            "month": raw["month"].astype("int32"),
            "day_of_week": (departure_day.dt.dayofweek + 1).astype("int32"),  # Monday = 1
            "dep_hour": (raw["sched_dep_time"] // 100).astype("int32"),
            "distance": raw["distance"].astype("float64"),
            "carrier": raw["carrier"].astype(str),
            "origin": raw["origin"].astype(str),
            "dest": raw["dest"].astype(str),
        },
        index=raw.index,
    )


def delay_label(arr_delay: pd.Series) -> pd.Series:
    """1 when the flight arrived more than 15 minutes late, 0 when not, missing when it never arrived."""
    label = (arr_delay > DELAY_THRESHOLD_MINUTES).astype("Int32")
    return label.mask(arr_delay.isna())


def split_by_date(frame, cutoff: date = TEST_START, column: str = "flight_date"):
    """Split a pandas or Spark DataFrame into (before ``cutoff``, from ``cutoff`` on)."""
    if isinstance(frame, pd.DataFrame):
        early = pd.to_datetime(frame[column]) < pd.Timestamp(cutoff)
        return frame[early], frame[~early]
    from pyspark.sql import functions as F

    early = F.col(column) < F.lit(cutoff)
    return frame.filter(early), frame.filter(~early)


def delay_classifier(features: list[str] | None = None, **params):
    """A scikit-learn pipeline for the delay model: encode the categories, then gradient boosting.

    ``params`` go to ``HistGradientBoostingClassifier`` (``max_iter``, ``learning_rate``, ...).
    Missing values are fine: the boosted trees route them.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    features = FEATURES if features is None else features
    categorical = [name for name in CATEGORICAL if name in features]
    encode = ColumnTransformer(
        [
            (
                "categories",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan
                ),
                categorical,
            ),
            ("numbers", "passthrough", [name for name in features if name not in categorical]),
        ],
        remainder="drop",  # extra columns (keys, labels) never leak into the model
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    params = {"random_state": 0, **params}
    boost = HistGradientBoostingClassifier(categorical_features=categorical, **params)
    return Pipeline([("encode", encode), ("boost", boost)])
