"""Tests for predictions.aggregation: spec vectors, properties and numpy/scipy cross-checks."""

import dataclasses
import math
import random
from collections import Counter

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from predictions.core.aggregation import (
    ScenarioAggregate,
    _expit_percent,
    _logit_percent,
    aggregate,
    aggregate_counts_with_recency,
    counts_median,
    neyman_d,
    recency_weights,
    recency_window,
    weighted_median,
    window_recency_median,
)

percents = st.integers(min_value=1, max_value=99)
percent_lists = st.lists(percents, min_size=1, max_size=200)
FAST = settings(max_examples=60, deadline=None)

FLOAT_FIELDS = tuple(
    field.name
    for field in dataclasses.fields(ScenarioAggregate)
    if field.name not in ("baseline", "n", "histogram")
)


def assert_aggregates_close(got: ScenarioAggregate, want: ScenarioAggregate) -> None:
    """Exact ints and histogram, floats within a few ulps."""
    assert got.baseline == want.baseline
    assert got.n == want.n
    assert got.histogram == want.histogram
    for name in FLOAT_FIELDS:
        assert getattr(got, name) == pytest.approx(getattr(want, name), rel=1e-12, abs=1e-12), name


def counts_path(counts: dict[int, int], baseline: int, window: list[int]) -> ScenarioAggregate:
    """The service's path: per-percent counts plus the recency median of the newest window."""
    n = sum(counts.values())
    recency = window_recency_median(window, n) if n else None
    return aggregate_counts_with_recency(counts, baseline, recency)


def np_weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    """Independent weighted median: sort + cumsum + searchsorted, same half-boundary rule."""
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=float)[order]
    cw = np.cumsum(np.asarray(weights, dtype=float)[order])
    total = cw[-1]
    half = total / 2
    tol = 1e-12 * total
    i = min(int(np.searchsorted(cw, half - tol, side="left")), len(v) - 1)
    if abs(cw[i] - half) <= tol and i + 1 < len(v):
        return float((v[i] + v[i + 1]) / 2)
    return float(v[i])


def np_recency_weights(n: int) -> np.ndarray:
    """Metaculus recency weights computed with numpy."""
    if n <= 2:
        return np.ones(n)
    k = np.arange(1, n + 1)
    return np.exp(np.sqrt(k) - np.sqrt(n))


# --- spec vectors ---------------------------------------------------------------------------------


def test_recency_weights_match_spec_vector() -> None:
    assert recency_weights(3) == pytest.approx([0.480922, 0.727721, 1.0], abs=1e-6)


def test_recency_weights_are_uniform_for_two_or_fewer_readers() -> None:
    assert recency_weights(0) == []
    assert recency_weights(1) == [1.0]
    assert recency_weights(2) == [1.0, 1.0]


def test_recency_median_matches_spec_vector_of_three() -> None:
    values = [0.8, 0.7, 0.6]
    weights = recency_weights(3)
    assert weighted_median(values, weights) == pytest.approx(0.7, abs=1e-12)
    # The weighted mean is a different statistic; the median must not be it.
    weighted_mean = math.fsum(v * w for v, w in zip(values, weights, strict=True)) / math.fsum(
        weights
    )
    assert weighted_mean == pytest.approx(0.6764978623, abs=1e-9)


def test_recency_median_matches_spec_vector_of_four() -> None:
    assert weighted_median([0.8, 0.7, 0.5, 0.6], recency_weights(4)) == pytest.approx(0.6)


def test_weighted_median_with_uniform_weights_uses_the_even_tie_rule() -> None:
    assert weighted_median([0.8, 0.6], recency_weights(2)) == pytest.approx(0.7)
    assert weighted_median([4, 1, 3, 2], [1.0] * 4) == 2.5
    assert weighted_median([1, 2, 2, 3], [1.0] * 4) == 2


def test_aggregate_recency_median_matches_spec_vectors_in_percent() -> None:
    assert aggregate([80, 70, 60], 50).recency_median == pytest.approx(70)
    assert aggregate([80, 70, 50, 60], 50).recency_median == pytest.approx(60)
    assert aggregate([80, 60], 50).recency_median == pytest.approx(70)


def test_weighted_median_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        weighted_median([], [])
    with pytest.raises(ValueError):
        weighted_median([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        weighted_median([1.0, 2.0], [1.0, 0.0])


def test_neyman_d_matches_spec_vectors() -> None:
    assert neyman_d(1) == 1.0
    assert neyman_d(2) == pytest.approx(1.2915, abs=5e-5)
    assert neyman_d(10) == pytest.approx(1.6250, abs=5e-5)
    with pytest.raises(ValueError):
        neyman_d(0)


def test_gmo_and_extremized_of_aggregate_use_logit_mean() -> None:
    xs = [1, 2, 2, 99]
    result = aggregate(xs, 50)
    mean_logit = math.fsum(math.log(x / (100 - x)) for x in xs) / len(xs)
    assert result.gmo == pytest.approx(100 / (1 + math.exp(-mean_logit)), rel=1e-12)
    assert result.extremized == pytest.approx(
        100 / (1 + math.exp(-neyman_d(4) * mean_logit)), rel=1e-12
    )


def test_median_uses_the_even_tie_rule_in_percent() -> None:
    result = aggregate([10, 30, 20, 40], 50)
    assert result.median == 25.0
    assert isinstance(result.median, float)
    assert isinstance(result.recency_median, float)


def test_comparisons_against_the_baseline() -> None:
    result = aggregate([10, 20, 20, 40], 20)
    assert result.median == 20.0
    assert result.delta_pp == 0.0
    assert result.odds_ratio == pytest.approx(1.0)
    assert (result.share_above, result.share_equal, result.share_below) == (25.0, 50.0, 25.0)

    result = aggregate([30, 40, 50], 20)
    assert result.delta_pp == pytest.approx(20.0)
    assert result.odds_ratio == pytest.approx((40 / 60) / (20 / 80))
    assert (result.share_above, result.share_equal, result.share_below) == (100.0, 0.0, 0.0)


def test_histogram_puts_five_point_bins_and_95_to_99_in_the_last() -> None:
    result = aggregate([1, 4, 5, 9, 10, 50, 94, 95, 99], 50)
    expected = [0] * 20
    for bin_index in (0, 0, 1, 1, 2, 10, 18, 19, 19):
        expected[bin_index] += 1
    assert result.histogram == tuple(expected)
    assert len(result.histogram) == 20


def test_empty_scenario_has_no_statistics_but_keeps_its_baseline() -> None:
    for result in (
        aggregate([], 37),
        counts_path({}, 37, []),
        counts_path({5: 0}, 37, []),
    ):
        assert result.baseline == 37
        assert result.n == 0
        assert result.histogram == (0,) * 20
        for name in FLOAT_FIELDS:
            assert getattr(result, name) is None, name


def test_aggregate_is_frozen() -> None:
    result = aggregate([50], 50)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.n = 2  # type: ignore[misc]


@pytest.mark.parametrize("bad", [0, 100, -1, 50.0, True, "50", None])
def test_out_of_range_or_non_int_percents_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError):
        aggregate([50, bad], 50)  # type: ignore[list-item]
    with pytest.raises(ValueError):
        aggregate([50], bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        aggregate_counts_with_recency({bad: 1}, 50, 50)  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        window_recency_median([bad], 1)  # type: ignore[list-item]


def test_counts_path_rejects_inconsistent_input() -> None:
    with pytest.raises(ValueError):
        aggregate_counts_with_recency({50: -1}, 50, None)
    with pytest.raises(ValueError):
        window_recency_median([50, 50], 1)  # more recent forecasts than readers
    with pytest.raises(ValueError):
        aggregate_counts_with_recency({50: 2}, 50, None)  # readers but no recency median


# --- recency window -------------------------------------------------------------------------------


def test_recency_window_keeps_everyone_when_weights_are_uniform_or_few() -> None:
    assert [recency_window(n) for n in range(0, 4)] == [0, 1, 2, 3]
    assert recency_window(100) == 100


@pytest.mark.parametrize("n", [3, 50, 400, 1000, 2000, 5000, 30000])
@pytest.mark.parametrize("tolerance", [1e-9, 1e-6, 1e-3])
def test_recency_window_leaves_out_less_than_tolerance_and_is_nearly_minimal(
    n: int, tolerance: float
) -> None:
    m = recency_window(n, tolerance)
    assert 1 <= m <= n
    weights = np_recency_weights(n)
    total = weights.sum()
    left_out = np.concatenate([[0.0], np.cumsum(weights)])  # left_out[j]: ranks 1..j
    assert left_out[n - m] < tolerance * total
    exact_min = n - int(np.nonzero(left_out[:n] < tolerance * total)[0].max())
    # The closed-form bound may ask for a forecast or two more than the exact minimum.
    assert exact_min <= m <= exact_min + 2


def test_recency_window_shrinks_relative_to_n_for_large_n() -> None:
    assert recency_window(1_000_000) < 50_000
    assert recency_window(1_000_000, 1e-3) < recency_window(1_000_000, 1e-9)


def test_recency_window_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        recency_window(-1)
    with pytest.raises(ValueError):
        recency_window(10, 0.0)
    with pytest.raises(ValueError):
        recency_window(10, 1.0)


def test_window_gets_the_weights_of_the_newest_ranks() -> None:
    # Oldest first: 5 readers at 90, then 5 at 10; a window of the newest 3 (all 10) has
    # recency median 10, and the full list agrees because the newest readers dominate.
    xs = [90] * 5 + [10] * 5
    assert counts_path(Counter(xs), 50, xs[-3:]).recency_median == 10.0
    assert aggregate(xs, 50).recency_median == 10.0
    # With the window [90, 10] the ranks are 9 and 10, not 1 and 2: the newer 10 weighs more.
    xs = [10] * 8 + [90, 10]
    assert counts_path(Counter(xs), 50, xs[-2:]).recency_median == 10.0


# --- properties -----------------------------------------------------------------------------------


@FAST
@given(percent_lists, percents)
def test_median_and_mean_lie_within_the_forecasts(xs: list[int], baseline: int) -> None:
    result = aggregate(xs, baseline)
    for value in (result.median, result.mean, result.p25, result.p75, result.recency_median):
        assert value is not None
        assert min(xs) <= value <= max(xs)
    assert result.p25 <= result.median <= result.p75
    assert result.gmo is not None and result.extremized is not None
    assert 0 < result.gmo < 100
    assert 0 < result.extremized < 100


@FAST
@given(percent_lists, percents)
def test_reflecting_every_forecast_reflects_the_aggregates(xs: list[int], baseline: int) -> None:
    result = aggregate(xs, baseline)
    mirrored = aggregate([100 - x for x in xs], 100 - baseline)
    for name in ("median", "mean", "gmo", "extremized", "recency_median"):
        assert getattr(mirrored, name) == pytest.approx(100 - getattr(result, name), abs=1e-9)
    assert mirrored.p25 == pytest.approx(100 - result.p75, abs=1e-9)
    assert mirrored.p75 == pytest.approx(100 - result.p25, abs=1e-9)
    assert mirrored.delta_pp == pytest.approx(-result.delta_pp, abs=1e-9)
    assert mirrored.odds_ratio == pytest.approx(1 / result.odds_ratio, rel=1e-9)
    assert mirrored.share_above == result.share_below
    assert mirrored.share_below == result.share_above


@FAST
@given(percent_lists, percents, st.randoms(use_true_random=False))
def test_everything_but_recency_median_ignores_reader_order(
    xs: list[int], baseline: int, rng: random.Random
) -> None:
    shuffled = list(xs)
    rng.shuffle(shuffled)
    result = dataclasses.replace(aggregate(xs, baseline), recency_median=None)
    assert dataclasses.replace(aggregate(shuffled, baseline), recency_median=None) == result


@FAST
@given(percents, percents)
def test_one_reader_is_the_crowd(x: int, baseline: int) -> None:
    for result in (aggregate([x], baseline), counts_path({x: 1}, baseline, [x])):
        assert result.n == 1
        for name in ("median", "mean", "gmo", "p25", "p75", "recency_median", "extremized"):
            assert getattr(result, name) == pytest.approx(x, rel=1e-12), name


@FAST
@given(percent_lists, percents)
def test_histogram_counts_everyone_and_shares_sum_to_100(xs: list[int], baseline: int) -> None:
    result = aggregate(xs, baseline)
    assert sum(result.histogram) == result.n == len(xs)
    shares = (result.share_above, result.share_equal, result.share_below)
    assert math.fsum(shares) == pytest.approx(100.0)


@FAST
@given(percent_lists, percents)
def test_counts_path_with_full_window_equals_reference(xs: list[int], baseline: int) -> None:
    fast = counts_path(Counter(xs), baseline, xs)
    exact = aggregate(xs, baseline)
    assert_aggregates_close(fast, exact)
    # Same values and weights in the same order: the recency median is identical.
    assert fast.recency_median == exact.recency_median
    assert fast.median == exact.median
    assert fast.mean == exact.mean


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=1, max_value=2000),
    st.integers(min_value=1, max_value=99),
    st.integers(min_value=0, max_value=98),
    st.randoms(use_true_random=False),
)
def test_counts_path_with_recency_window_matches_exact_recency_median(
    n: int, low: int, spread: int, rng: random.Random
) -> None:
    high = min(99, low + spread)
    xs = [rng.randint(low, high) for _ in range(n)]
    m = recency_window(n)
    fast = counts_path(Counter(xs), 50, xs[n - m :])
    exact = aggregate(xs, 50)
    assert fast.recency_median == exact.recency_median
    assert_aggregates_close(dataclasses.replace(fast, recency_median=exact.recency_median), exact)


def test_counts_path_with_window_is_exercised_on_large_crowds() -> None:
    rng = np.random.default_rng(20240611)
    for n in (1500, 2000, 8000):
        # Drift: older readers lean high, newer ones low, so the window genuinely matters.
        xs = np.clip(np.round(np.linspace(80, 20, n) + rng.normal(0, 10, n)), 1, 99).astype(int)
        xs_list = [int(x) for x in xs]
        m = recency_window(n)
        assert m < n
        fast = counts_path(Counter(xs_list), 50, xs_list[n - m :])
        assert fast.recency_median == aggregate(xs_list, 50).recency_median


# --- numpy / scipy cross-checks -------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 10, 57, 100, 1001, 5000])
def test_aggregate_agrees_with_numpy_and_scipy(size: int) -> None:
    rng = np.random.default_rng(1000 + size)
    xs = rng.integers(1, 100, size=size)
    baseline = int(rng.integers(1, 100))
    result = aggregate([int(x) for x in xs], baseline)
    p = xs / 100
    mean_logit = np.mean(scipy.special.logit(p))

    assert result.n == size
    assert result.median == pytest.approx(np.median(xs), abs=1e-12)
    assert result.mean == pytest.approx(np.mean(xs), rel=1e-12)
    assert result.p25 == pytest.approx(np.percentile(xs, 25, method="linear"), abs=1e-9)
    assert result.p75 == pytest.approx(np.percentile(xs, 75, method="linear"), abs=1e-9)
    assert result.gmo == pytest.approx(100 * scipy.special.expit(mean_logit), rel=1e-10)
    assert result.extremized == pytest.approx(
        100 * scipy.special.expit(neyman_d(size) * mean_logit), rel=1e-10
    )
    assert result.recency_median == pytest.approx(
        np_weighted_median(xs, np_recency_weights(size)), abs=1e-12
    )
    expected_hist, _ = np.histogram(xs, bins=np.arange(0, 101, 5))
    assert result.histogram == tuple(int(c) for c in expected_hist)
    assert result.histogram == tuple(
        int(c) for c in np.bincount(np.minimum(xs // 5, 19), minlength=20)
    )
    assert result.share_above == pytest.approx(100 * np.mean(xs > baseline))
    assert result.share_equal == pytest.approx(100 * np.mean(xs == baseline))
    assert result.share_below == pytest.approx(100 * np.mean(xs < baseline))
    assert result.delta_pp == pytest.approx(np.median(xs) - baseline, abs=1e-12)

    counts = Counter(int(x) for x in xs)
    assert_aggregates_close(counts_path(counts, baseline, [int(x) for x in xs]), result)


@pytest.mark.parametrize("size", [3, 10, 200, 5000])
def test_recency_weights_agree_with_numpy(size: int) -> None:
    assert recency_weights(size) == pytest.approx(np_recency_weights(size).tolist(), rel=1e-12)


@pytest.mark.parametrize("size", [1, 2, 7, 64, 999])
def test_weighted_median_agrees_with_numpy_sort_and_cumsum(size: int) -> None:
    rng = np.random.default_rng(size)
    values = rng.normal(size=size)
    weights = rng.uniform(0.01, 2.0, size=size)
    assert weighted_median(values.tolist(), weights.tolist()) == np_weighted_median(values, weights)
    # Uniform weights reduce it to the ordinary median, ties included.
    ints = rng.integers(1, 100, size=size)
    assert weighted_median(ints.tolist(), [1.0] * size) == pytest.approx(np.median(ints))


@FAST
@given(percent_lists)
def test_counts_median_is_numpys_median_of_the_counted_forecasts(xs: list[int]) -> None:
    assert counts_median(Counter(xs)) == pytest.approx(float(np.median(xs)), abs=1e-12)
    assert counts_median(Counter(xs)) == aggregate(xs, 50).median


def test_counts_median_of_no_forecast_is_none() -> None:
    assert counts_median({}) is None
    assert counts_median({40: 0}) is None
    assert counts_median({40: 1, 60: 1}) == 50.0


def test_gmo_formula_matches_the_spec_vector():
    # SPEC §4's vector is not in whole percents, so it drives the two steps the aggregate
    # takes on percents: the mean of the logits, then back through expit.
    logits = [_logit_percent(p) for p in (1.4, 2.21, 0.39, 0.4)]
    assert _expit_percent(sum(logits) / len(logits)) == pytest.approx(0.83576, abs=5e-6)
