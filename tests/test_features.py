"""mldeploy.features: the delay classifier, and the exact skops trust list its saved form needs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mldeploy import CATEGORICAL, FEATURES, KEY, LABEL, LOOKUP_FEATURES, ROW_FEATURES, SKOPS_TRUSTED_TYPES, read_table
from mldeploy.features import delay_classifier

SAMPLE_ROWS = 3000


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Fit with one OpenMP thread: beside Spark's JVM on 2 cores, more threads only wait for each other."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def sample(spark, lake) -> pd.DataFrame:
    """About 3,000 labelled flights of the lake's features table, every column included."""
    frame = (
        read_table(spark, "features")
        .where(f"{KEY} % 100 = 3 AND {LABEL} IS NOT NULL")
        .limit(SAMPLE_ROWS)
        .toPandas()
        .sort_values(KEY, ignore_index=True)
    )
    assert len(frame) == SAMPLE_ROWS
    return frame


@pytest.fixture(scope="module")
def fitted(sample):
    return delay_classifier(max_iter=20).fit(sample, sample[LABEL].astype(int))


def test_feature_lists_are_consistent():
    assert FEATURES == ROW_FEATURES + LOOKUP_FEATURES
    assert len(set(FEATURES)) == len(FEATURES)
    assert set(CATEGORICAL) <= set(ROW_FEATURES)
    assert KEY not in FEATURES and LABEL not in FEATURES


def test_classifier_predicts_probabilities(fitted, sample):
    probabilities = fitted.predict_proba(sample)
    assert probabilities.shape == (SAMPLE_ROWS, 2)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert list(fitted.classes_) == [0, 1]
    assert probabilities[:, 1].std() > 0  # it learned something, not one constant answer


def test_classifier_uses_exactly_the_features(fitted, sample):
    # The key, the label and the raw delay never reach the model, whatever the frame holds.
    assert list(fitted.feature_names_in_) == list(sample.columns)
    assert sorted(fitted[:-1].get_feature_names_out()) == sorted(FEATURES)
    only_features = sample[list(reversed(FEATURES))]  # what a caller sends: the features, in any order
    np.testing.assert_allclose(fitted.predict_proba(only_features), fitted.predict_proba(sample))


def test_classifier_handles_missing_values_and_unseen_categories(fitted, sample):
    odd = sample.head(2).copy()
    odd.loc[:, LOOKUP_FEATURES] = np.nan  # weather or plane not found
    odd["carrier"] = "ZZ"  # a carrier the model never saw
    probabilities = fitted.predict_proba(odd)
    assert probabilities.shape == (2, 2) and np.isfinite(probabilities).all()


def test_classifier_on_row_features_only(sample):
    model = delay_classifier(ROW_FEATURES, max_iter=5).fit(sample, sample[LABEL].astype(int))
    assert sorted(model[:-1].get_feature_names_out()) == sorted(ROW_FEATURES)
    assert model.predict_proba(sample[ROW_FEATURES]).shape == (SAMPLE_ROWS, 2)


def test_classifier_params_reach_the_booster():
    model = delay_classifier(max_iter=7, learning_rate=0.3)
    boost = model.named_steps["boost"]
    assert (boost.max_iter, boost.learning_rate, boost.random_state) == (7, 0.3, 0)
    assert delay_classifier(random_state=5).named_steps["boost"].random_state == 5


@pytest.mark.parametrize("features", [FEATURES, ROW_FEATURES], ids=["all-features", "row-features"])
def test_skops_trusted_types_are_exactly_the_untrusted_ones(sample, features):
    import skops.io

    model = delay_classifier(features, max_iter=5).fit(sample, sample[LABEL].astype(int))
    dumped = skops.io.dumps(model)
    assert sorted(skops.io.get_untrusted_types(data=dumped)) == sorted(SKOPS_TRUSTED_TYPES)
    assert len(set(SKOPS_TRUSTED_TYPES)) == len(SKOPS_TRUSTED_TYPES)

    loaded = skops.io.loads(dumped, trusted=SKOPS_TRUSTED_TYPES)
    np.testing.assert_array_equal(loaded.predict_proba(sample), model.predict_proba(sample))


def test_skops_refuses_a_model_without_the_trust_list(fitted):
    import skops.io

    with pytest.raises(Exception, match="[Uu]ntrusted"):
        skops.io.loads(skops.io.dumps(fitted))
