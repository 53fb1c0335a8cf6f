"""Crowd statistics of readers' forecasts for one scenario of a question."""

# Pure on purpose: this module is the arithmetic the API and the tests agree on, so it must
# stay importable without Flask, SQLAlchemy or numpy.  Readers give whole percents 1..99; the
# maths is done in probability (p = percent / 100) where it matters (logits, odds) and every
# output is in percent units (unrounded floats) because the public API speaks percent.

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .validation import PERCENT_MAX, PERCENT_MIN, percent_problem

HISTOGRAM_BINS = 20
HISTOGRAM_WIDTH = 5

# A cumulative weight this close (relative to the total) to half the total counts as landing
# exactly on the boundary; it absorbs rounding in the running sum, e.g. for uniform weights.
_TIE_REL_TOL = 1e-12


@dataclass(frozen=True)
class ScenarioAggregate:
    """Crowd statistics of one scenario, in percent units; None where n == 0."""

    baseline: int
    n: int
    median: float | None
    mean: float | None
    gmo: float | None
    p25: float | None
    p75: float | None
    recency_median: float | None
    extremized: float | None
    delta_pp: float | None
    odds_ratio: float | None
    share_above: float | None
    share_equal: float | None
    share_below: float | None
    histogram: tuple[int, ...]


def _check_percent(value: object, what: str) -> int:
    """Return value if it is a whole percent in 1..99, else raise ValueError."""
    if percent_problem(value):
        raise ValueError(f"{what} must be an int percent in 1..99, got {value!r}")
    return value  # type: ignore[return-value]


def expit(z: float) -> float:
    """Inverse of logit: the probability whose log-odds are z."""
    # Two branches so exp never overflows; |z| stays small here (<~ 8) but stay safe anyway.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _logit_percent(percent: int) -> float:
    """Return logit(percent / 100)."""
    # log(x) - log(100 - x) is exactly antisymmetric under x -> 100 - x, so the crowd's gmo
    # and extremized forecasts reflect exactly (up to expit rounding) with the question.
    return math.log(percent) - math.log(100 - percent)


def _expit_percent(z: float) -> float:
    """Return 100 * expit(z), the inverse of the logit, in percent."""
    return 100 * expit(z)


def recency_weights(n: int) -> list[float]:
    """Metaculus recency weights w_k = exp(sqrt(k) - sqrt(n)), k = 1..n oldest first."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    # Metaculus uses uniform weights for one or two forecasters.
    if n <= 2:
        return [1.0] * n
    root_n = math.sqrt(n)
    return [math.exp(math.sqrt(k) - root_n) for k in range(1, n + 1)]


def _window_weights(n: int, m: int) -> list[float]:
    """The exact weights of ranks n-m+1..n of n forecasts, oldest first."""
    if n <= 2:
        return [1.0] * m
    root_n = math.sqrt(n)
    return [math.exp(math.sqrt(k) - root_n) for k in range(n - m + 1, n + 1)]


def neyman_d(n: int) -> float:
    """Neyman's extremizing exponent d = n(sqrt(3n^2 - 3n + 1) - 2) / (n^2 - n - 1)."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if n == 1:
        # One forecaster: nothing to extremize (the formula also gives 1, stated for clarity).
        return 1.0
    return n * (math.sqrt(3 * n * n - 3 * n + 1) - 2) / (n * n - n - 1)


def weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    """Weighted median; averages the two values around an exact half-weight boundary."""
    # Rule: sort by value and accumulate weights.  If the cumulative weight equals half the
    # total at a boundary (within 1e-12 of the total), return the mean of that value and the
    # next; otherwise the first value whose cumulative weight exceeds half.  With uniform
    # weights this is the ordinary median with the usual even-n tie rule.
    if len(values) != len(weights):
        raise ValueError("values and weights must have the same length")
    if not values:
        raise ValueError("weighted_median of no values")
    if any(not w > 0 for w in weights):
        # A zero weight would make "the next value" ill-defined at a boundary.
        raise ValueError("weights must be positive")
    pairs = sorted(zip(values, weights, strict=True), key=lambda vw: vw[0])
    total = math.fsum(weights)
    half = total / 2
    tol = _TIE_REL_TOL * total
    cumulative = 0.0
    last = len(pairs) - 1
    for i, (value, weight) in enumerate(pairs):
        cumulative += weight
        if i < last and abs(cumulative - half) <= tol:
            return (value + pairs[i + 1][0]) / 2
        if cumulative > half:
            return value
    # Only reachable through rounding in the running sum; the largest value is then the answer.
    return pairs[last][0]


def _sorted_percentile(ordered: Sequence[int], q: float) -> float:
    """Linear-interpolation percentile (numpy's default method) of sorted values."""
    # numpy method="linear": h = (n - 1) q, result x[floor h] + (h - floor h)(x[ceil h] - ...).
    h = (len(ordered) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(ordered) - 1)
    frac = h - lo
    return ordered[lo] + frac * (ordered[hi] - ordered[lo])


def _empty(baseline: int) -> ScenarioAggregate:
    """The aggregate of a scenario nobody has forecast."""
    return ScenarioAggregate(
        baseline=baseline,
        n=0,
        median=None,
        mean=None,
        gmo=None,
        p25=None,
        p75=None,
        recency_median=None,
        extremized=None,
        delta_pp=None,
        odds_ratio=None,
        share_above=None,
        share_equal=None,
        share_below=None,
        histogram=(0,) * HISTOGRAM_BINS,
    )


def _histogram_bin(percent: int) -> int:
    """Index of the 5-point histogram bin holding percent (95..99 share the last bin)."""
    return min(percent // HISTOGRAM_WIDTH, HISTOGRAM_BINS - 1)


def _finish(
    *,
    baseline: int,
    n: int,
    median: float,
    mean: float,
    mean_logit: float,
    p25: float,
    p75: float,
    recency_median: float,
    above: int,
    equal: int,
    below: int,
    histogram: Sequence[int],
) -> ScenarioAggregate:
    """Build the aggregate from the primary statistics shared by both code paths."""
    odds_median = median / (100 - median)
    odds_baseline = baseline / (100 - baseline)
    return ScenarioAggregate(
        baseline=baseline,
        n=n,
        # float() because medians of ints can come back as ints; the API promises floats.
        median=float(median),
        mean=float(mean),
        gmo=_expit_percent(mean_logit),
        p25=float(p25),
        p75=float(p75),
        recency_median=float(recency_median),
        extremized=_expit_percent(neyman_d(n) * mean_logit),
        # median is already in percent, so the difference is in percentage points.
        delta_pp=median - baseline,
        odds_ratio=odds_median / odds_baseline,
        share_above=100 * above / n,
        share_equal=100 * equal / n,
        share_below=100 * below / n,
        histogram=tuple(histogram),
    )


def aggregate(percents_oldest_first: Sequence[int], baseline: int) -> ScenarioAggregate:
    """Reference aggregate of active percents ordered by forecast time, oldest first."""
    _check_percent(baseline, "baseline")
    for percent in percents_oldest_first:
        _check_percent(percent, "percent")
    n = len(percents_oldest_first)
    if n == 0:
        return _empty(baseline)
    ordered = sorted(percents_oldest_first)
    histogram = [0] * HISTOGRAM_BINS
    for percent in ordered:
        histogram[_histogram_bin(percent)] += 1
    return _finish(
        baseline=baseline,
        n=n,
        median=statistics.median(ordered),
        mean=statistics.fmean(ordered),
        # fsum is correctly rounded, so the result does not depend on the readers' order.
        mean_logit=math.fsum(_logit_percent(p) for p in ordered) / n,
        p25=_sorted_percentile(ordered, 0.25),
        p75=_sorted_percentile(ordered, 0.75),
        recency_median=weighted_median(percents_oldest_first, recency_weights(n)),
        above=sum(1 for p in ordered if p > baseline),
        equal=sum(1 for p in ordered if p == baseline),
        below=sum(1 for p in ordered if p < baseline),
        histogram=histogram,
    )


def _order_statistic(cumulative: Sequence[int], index: int) -> int:
    """The index-th (0-based) smallest percent, given cumulative counts of percents 1..99."""
    # cumulative[i] is the number of forecasts <= percent i + 1; find the first that exceeds
    # index.  A linear walk is fine: there are only 99 percents.
    for i, running in enumerate(cumulative):
        if running > index:
            return i + PERCENT_MIN
    raise IndexError(index)


def _counts_percentile(cumulative: Sequence[int], n: int, q: float) -> float:
    """Linear-interpolation percentile (numpy's default) from cumulative counts."""
    h = (n - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    x_lo = _order_statistic(cumulative, lo)
    x_hi = _order_statistic(cumulative, hi)
    return x_lo + (h - lo) * (x_hi - x_lo)


def _counts_by_percent(counts: Mapping[int, int]) -> list[int]:
    """The 99 counts of percents 1..99 from a {percent: count} mapping, checked."""
    by_percent = [0] * (PERCENT_MAX - PERCENT_MIN + 1)
    for percent, count in counts.items():
        _check_percent(percent, "percent")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count for {percent} must be an int >= 0, got {count!r}")
        by_percent[percent - PERCENT_MIN] = count
    return by_percent


def _median_of_cumulative(cumulative: Sequence[int], n: int) -> float:
    # Same even-n tie rule as statistics.median: the mean of the two middle order statistics.
    return (_order_statistic(cumulative, (n - 1) // 2) + _order_statistic(cumulative, n // 2)) / 2


def counts_median(counts: Mapping[int, int]) -> float | None:
    """The median of forecasts counted per percent ({percent: count}); None when none are."""
    by_percent = _counts_by_percent(counts)
    n = sum(by_percent)
    if n == 0:
        return None
    return _median_of_cumulative(list(itertools.accumulate(by_percent)), n)


def window_recency_median(recent_oldest_first: Sequence[int], n: int) -> float:
    """Recency-weighted median of the newest m <= n of n active percents, oldest first."""
    # The window gets the exact weights of ranks n-m+1..n; older readers are left out (each
    # weighs at most exp(sqrt(n-m) - sqrt(n))), so m == n is exact and m = recency_window(n)
    # leaves out less than its tolerance of the total weight.
    for percent in recent_oldest_first:
        _check_percent(percent, "recent percent")
    m = len(recent_oldest_first)
    if m == 0:
        raise ValueError("recent_oldest_first must hold at least one forecast")
    if m > n:
        raise ValueError(f"{m} recent forecasts but only {n} counted")
    return float(weighted_median(recent_oldest_first, _window_weights(n, m)))


def aggregate_counts_with_recency(
    counts: Mapping[int, int], baseline: int, recency_median: float | None
) -> ScenarioAggregate:
    """Aggregate from per-percent counts with a recency median computed earlier (e.g. cached)."""
    # The recency median needs the readers' order, which counts do not keep: callers that
    # cache it (or stored it in a daily snapshot) hand it back here with the exact counts.
    _check_percent(baseline, "baseline")
    by_percent = _counts_by_percent(counts)
    n = sum(by_percent)
    if n == 0:
        return _empty(baseline)
    if recency_median is None:
        raise ValueError("recency_median is required when n > 0")
    recency = float(recency_median)
    if not (math.isfinite(recency) and PERCENT_MIN <= recency <= PERCENT_MAX):
        raise ValueError(f"recency_median must be a percent in 1..99, got {recency_median!r}")
    cumulative = list(itertools.accumulate(by_percent))
    pairs = [(offset + PERCENT_MIN, c) for offset, c in enumerate(by_percent) if c]
    histogram = [0] * HISTOGRAM_BINS
    for percent, count in pairs:
        histogram[_histogram_bin(percent)] += count
    return _finish(
        baseline=baseline,
        n=n,
        median=_median_of_cumulative(cumulative, n),
        # The weighted sum of ints is exact, so this matches statistics.fmean bit for bit.
        mean=math.fsum(p * c for p, c in pairs) / n,
        mean_logit=math.fsum(_logit_percent(p) * c for p, c in pairs) / n,
        p25=_counts_percentile(cumulative, n, 0.25),
        p75=_counts_percentile(cumulative, n, 0.75),
        recency_median=recency,
        above=sum(c for p, c in pairs if p > baseline),
        equal=by_percent[baseline - PERCENT_MIN],
        below=sum(c for p, c in pairs if p < baseline),
        histogram=histogram,
    )


def _left_out_share_bound(n: int, left_out: int) -> float:
    """Upper bound on the share of the total recency weight held by the oldest readers."""
    # See recency_window for the derivation; x = left_out + 1 comes from the integral's end.
    root_n = math.sqrt(n)
    root_x = math.sqrt(left_out + 1)
    return (root_x - 1) * math.exp(root_x - root_n) / (root_n - 1 + math.exp(-root_n))


def recency_window(n: int, tolerance: float = 1e-9) -> int:
    """Number m of newest forecasts whose recency weight is all but tolerance of the total."""
    # Leaving out ranks 1..j, with f(x) = exp(sqrt(x)) increasing:
    #   left out  L(j) = sum_{k=1..j} f(k) <= int_1^{j+1} f = 2 (sqrt(j+1) - 1) e^sqrt(j+1)
    #   total     T    = sum_{k=1..n} f(k) >= int_0^n f     = 2 (sqrt(n) - 1) e^sqrt(n) + 2
    # (antiderivative 2 (sqrt(x) - 1) e^sqrt(x)).  The bound ratio is increasing in j, so we
    # return m = n - j for the largest j whose bound ratio is below tolerance: the smallest m
    # certified by the bound.  It guarantees L < tolerance * T; being a bound it may ask for
    # more than the exact minimum, but the two integrals are tight (checked against exact sums
    # for n up to 10^6 and tolerances 1e-9..1e-3: at most one forecast more).  O(log n) instead
    # of the O(n) exact sums, which would defeat the O(99) counts path.
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not 0 < tolerance < 1:
        raise ValueError(f"tolerance must be in (0, 1), got {tolerance}")
    if n <= 2:
        # Uniform weights: every reader counts as much as the newest one.
        return n
    lo, hi = 0, n - 1  # invariant: the bound for j = lo is below tolerance (L(0) = 0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _left_out_share_bound(n, mid) < tolerance:
            lo = mid
        else:
            hi = mid - 1
    return n - lo
