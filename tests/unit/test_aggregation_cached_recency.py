"""aggregate_counts_with_recency and window_recency_median: the pieces the cached path uses."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predictions.core.aggregation import (
    aggregate,
    aggregate_counts_with_recency,
    recency_window,
    window_recency_median,
)

PERCENTS = st.lists(st.integers(1, 99), min_size=1, max_size=60)


@settings(max_examples=100, deadline=None)
@given(PERCENTS)
def test_window_recency_median_of_everyone_is_the_recency_median(values):
    assert window_recency_median(values, len(values)) == aggregate(values, 50).recency_median


def test_window_of_recency_window_matches_full_median():
    values = [(i * 37) % 99 + 1 for i in range(3000)]
    m = recency_window(len(values))
    assert window_recency_median(values[-m:], len(values)) == aggregate(values, 50).recency_median


@pytest.mark.parametrize(
    "counts, recency",
    [({50: 1}, None), ({50: 1}, 0.5), ({50: 1}, float("nan")), ({50: 1}, 100)],
)
def test_given_recency_median_must_be_a_percent_when_anyone_forecast(counts, recency):
    with pytest.raises(ValueError):
        aggregate_counts_with_recency(counts, 40, recency)


def test_no_forecasts_need_no_recency_median():
    assert aggregate_counts_with_recency({}, 40, None).n == 0


@pytest.mark.parametrize("window, n", [([], 3), ([50, 50], 1), ([0], 1)])
def test_window_recency_median_rejects_bad_windows(window, n):
    with pytest.raises(ValueError):
        window_recency_median(window, n)
