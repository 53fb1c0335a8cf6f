"""Proper scoring of resolved yes/no scenarios (SPEC §5): pure functions, standard library only."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Below this magnitude a Brier difference is float noise, not a win: two forecasts that should
# score identically can differ in the last bit after different arithmetic paths.
TIE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Score:
    """One forecaster's scores on one resolved scenario."""

    probability: float  # what they said for "yes", in (0, 1)
    brier: float  # (p - o)^2: 0 is perfect, lower is better
    log: float  # ln of the probability given to what happened: <= 0, higher is better
    baseline_score: float  # Metaculus baseline: 100 * (log2 p_outcome + 1), higher is better


@dataclass(frozen=True)
class ScenarioScorecard:
    """Crowd vs article (plus every reader) on one resolved scenario."""

    yes: bool
    article: Score
    crowd: Score | None  # None when no reader forecast the scenario
    brier_difference: float | None  # Brier(crowd) - Brier(article); negative = crowd better
    log_ratio: float | None  # 100 * ln(p_crowd_outcome / p_article_outcome); positive = crowd
    readers_n: int
    share_beat_article: float | None  # percent of readers with strictly lower Brier; None if none
    reader_peer_scores: tuple[float, ...]  # same order as the reader probabilities given
    reader_scores: tuple[Score, ...]  # same order as the reader probabilities given


@dataclass(frozen=True)
class LeaderboardRow:
    """One reader's standing across the scenarios they forecast that have resolved."""

    display_name: str
    mean_brier: float
    resolved_count: int
    peer_score: float  # mean peer score over the same scenarios


def _check_probability(p: float) -> float:
    """Return p as a float, rejecting anything outside the open interval (0, 1)."""
    p = float(p)
    # 0 and 1 are excluded because the log and baseline scores are -inf there; NaN fails too.
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be strictly between 0 and 1, got {p!r}")
    return p


def _p_outcome(p: float, yes: bool) -> float:
    """Probability the forecast gave to what actually happened."""
    p = _check_probability(p)
    return p if yes else 1.0 - p


def brier(p: float, yes: bool) -> float:
    """Brier score (p - o)^2 with o = 1 for yes and 0 for no."""
    # (1 - p_outcome)^2 equals (p - o)^2 for both outcomes and keeps one arithmetic path.
    return (1.0 - _p_outcome(p, yes)) ** 2


def log_score(p: float, yes: bool) -> float:
    """Log score ln|p + o - 1|: ln of the probability given to what happened (<= 0)."""
    return math.log(_p_outcome(p, yes))


def baseline_score(p: float, yes: bool) -> float:
    """Metaculus baseline score 100 * (log2 p_outcome + 1): 0 for a coin flip, 100 at certainty."""
    return 100.0 * (math.log2(_p_outcome(p, yes)) + 1.0)


def score(p: float, yes: bool) -> Score:
    """All single-forecaster scores for probability p on an outcome."""
    p = _check_probability(p)
    return Score(
        probability=p,
        brier=brier(p, yes),
        log=log_score(p, yes),
        baseline_score=baseline_score(p, yes),
    )


def peer_scores(ps: Sequence[float], yes: bool) -> list[float]:
    """Peer score 100 * n/(n-1) * (ln p_i - ln GM) for each forecaster, in input order."""
    # GM is the geometric mean of everyone's probability for what happened, so the scores sum
    # to zero; a lone forecaster has no peers to beat and scores 0.
    logs = [log_score(p, yes) for p in ps]
    n = len(logs)
    if n <= 1:
        return [0.0] * n
    # ln GM is the mean of the logs; fsum keeps the zero-sum property tight for large crowds.
    log_gm = math.fsum(logs) / n
    factor = 100.0 * n / (n - 1)
    return [factor * (lp - log_gm) for lp in logs]


def scorecard(
    reader_ps: Sequence[float], article_p: float, crowd_p: float | None, yes: bool
) -> ScenarioScorecard:
    """Score readers, the article and the crowd (None when nobody forecast) on one scenario."""
    # Peer scores are among readers only: the article and the crowd are benchmarks, and the
    # crowd median is derived from the readers, so pooling it would count them twice.
    article = score(article_p, yes)
    reader_scores = tuple(score(p, yes) for p in reader_ps)
    readers_n = len(reader_scores)

    crowd: Score | None = None
    brier_difference: float | None = None
    log_ratio: float | None = None
    if crowd_p is not None:
        crowd = score(crowd_p, yes)
        brier_difference = crowd.brier - article.brier
        # ln(a / b) as a difference of logs: same value, no intermediate underflow.
        log_ratio = 100.0 * (crowd.log - article.log)

    share: float | None = None
    if readers_n:
        beat = sum(1 for s in reader_scores if s.brier < article.brier)
        share = 100.0 * beat / readers_n

    return ScenarioScorecard(
        yes=yes,
        article=article,
        crowd=crowd,
        brier_difference=brier_difference,
        log_ratio=log_ratio,
        readers_n=readers_n,
        share_beat_article=share,
        reader_peer_scores=tuple(peer_scores(reader_ps, yes)),
        reader_scores=reader_scores,
    )


def _scenarios(n: int) -> str:
    """'1 resolved scenario' / 'n resolved scenarios'."""
    return f"{n} resolved scenario" if n == 1 else f"{n} resolved scenarios"


def headline(cards: Iterable[ScenarioScorecard]) -> str:
    """One plain-words sentence on crowd vs article across the scored scenarios."""
    # Scenarios without a crowd forecast cannot be compared and are left out of the count. Per
    # scenario the lower Brier wins, differences within TIE_TOLERANCE are ties, and the side
    # with more wins leads the sentence.
    resolved = list(cards)
    if not resolved:
        return "Nothing has resolved yet."
    diffs = [c.brier_difference for c in resolved if c.brier_difference is not None]
    n = len(diffs)
    if n == 0:
        return "No resolved scenario has crowd forecasts to compare yet."
    crowd_wins = sum(1 for d in diffs if d < -TIE_TOLERANCE)
    article_wins = sum(1 for d in diffs if d > TIE_TOLERANCE)
    if crowd_wins > article_wins:
        return f"The crowd beat the article on {crowd_wins} of {_scenarios(n)}."
    if article_wins > crowd_wins:
        return f"The article beat the crowd on {article_wins} of {_scenarios(n)}."
    if crowd_wins == 0:
        # No wins either side means every compared scenario was a tie.
        return f"The crowd and the article tied on {n} of {_scenarios(n)}."
    return f"The crowd and the article each won {crowd_wins} of {_scenarios(n)}."


def reader_headline(briers: Iterable[tuple[float, float]]) -> str | None:
    """One sentence on a reader against the article, from (reader's Brier, article's Brier)
    per resolved scenario they forecast; None when there is none."""
    pairs = list(briers)
    if not pairs:
        return None
    n = len(pairs)
    wins = sum(1 for mine, article in pairs if mine < article - TIE_TOLERANCE)
    losses = sum(1 for mine, article in pairs if mine > article + TIE_TOLERANCE)
    if wins:
        return f"You beat the article on {wins} of {_scenarios(n)} you forecast."
    if losses == n:
        which = "the resolved scenario" if n == 1 else f"all {n} resolved scenarios"
        return f"The article beat you on {which} you forecast."
    which = "the resolved scenario" if n == 1 else f"any of the {n} resolved scenarios"
    return f"You did not beat the article on {which} you forecast."


def leaderboard(
    entries: Iterable[tuple[str, Sequence[tuple[float, float]]]],
) -> list[LeaderboardRow]:
    """Rank (display_name, [(brier, peer), ...]) entries by mean Brier, count, then name."""
    # Readers with no resolved scenario are left off; more resolved scenarios rank higher.
    rows = [
        LeaderboardRow(
            display_name=name,
            mean_brier=math.fsum(b for b, _ in results) / len(results),
            resolved_count=len(results),
            peer_score=math.fsum(p for _, p in results) / len(results),
        )
        for name, results in entries
        if len(results) >= 1
    ]
    # casefold first so "alice" and "Bob" sort as people expect; raw name keeps it total.
    rows.sort(
        key=lambda r: (r.mean_brier, -r.resolved_count, r.display_name.casefold(), r.display_name)
    )
    return rows
