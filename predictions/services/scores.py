"""Scores of resolved scenarios (SPEC §5): always derived from the forecasts, never stored.

A scenario is scored on the forecasts of readers not banned standing when it resolved, with the
article's baseline and those readers' crowd median as two extra forecasters; annulled ones score
nobody.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..core import aggregation, scoring
from ..extensions import db
from ..models import Forecast, Outcome, Question, Reader, Scenario
from .paging import paginate_rows

PER_PAGE = 20
ALL_ANNULLED = "Every resolved scenario was annulled: nothing has been scored."


@dataclass(frozen=True)
class Standing:
    """A reader's forecast standing on a scenario when it resolved."""

    reader_id: str
    display_name: str | None
    percent: int


@dataclass(frozen=True)
class ResolvedScenario:
    """One resolved scenario: who was scored, who was left out, and the scorecard."""

    scenario: Scenario
    card: scoring.ScenarioScorecard | None  # None when annulled
    crowd_percent: float | None  # the median of the scored readers, None when nobody forecast
    readers: tuple[Standing, ...]  # scored readers, in the card's order (oldest forecast first)
    banned: tuple[Standing, ...]  # standing forecasts of banned readers, left out

    @property
    def outcome(self) -> str:
        return self.scenario.outcome


@dataclass(frozen=True)
class QuestionScores:
    scenarios: tuple[ResolvedScenario, ...]
    headline: str
    excluded_banned: int  # distinct banned readers whose forecasts were left out
    leaderboard: tuple[scoring.LeaderboardRow, ...]


def standing_at_resolution(scenarios: list[Scenario]) -> dict[int, list[tuple[Standing, bool]]]:
    """{scenario_id: [(standing, banned), ...]} at each scenario's resolution, oldest first."""
    result: dict[int, list[tuple[Standing, bool]]] = {s.id: [] for s in scenarios}
    if not scenarios:
        return result
    rows = db.session.execute(
        db.select(
            Forecast.scenario_id,
            Forecast.reader_id,
            Forecast.percent,
            Reader.display_name,
            Reader.banned_at,
        )
        .join(Reader, Reader.id == Forecast.reader_id)
        .join(Scenario, Scenario.id == Forecast.scenario_id)
        .where(
            Forecast.scenario_id.in_(list(result)),
            Scenario.resolved_at.is_not(None),
            Forecast.created_at <= Scenario.resolved_at,
            db.or_(Forecast.ended_at.is_(None), Forecast.ended_at > Scenario.resolved_at),
        )
        .order_by(Forecast.created_at, Forecast.id)
    )
    for scenario_id, reader_id, percent, display_name, banned_at in rows:
        result[scenario_id].append(
            (Standing(reader_id, display_name, percent), banned_at is not None)
        )
    return result


def resolved_scenarios(question: Question) -> list[ResolvedScenario]:
    """Every resolved scenario of the question, in the question's order, with its scorecard."""
    scenarios = [s for s in question.scenarios if s.outcome is not None]
    standing = standing_at_resolution(scenarios)
    result = []
    for scenario in scenarios:
        readers = tuple(s for s, banned in standing[scenario.id] if not banned)
        banned = tuple(s for s, is_banned in standing[scenario.id] if is_banned)
        if scenario.outcome == Outcome.ANNULLED:
            result.append(ResolvedScenario(scenario, None, None, readers, banned))
            continue
        percents = [r.percent for r in readers]
        crowd = aggregation.aggregate(percents, scenario.baseline).median
        card = scoring.scorecard(
            [p / 100 for p in percents],
            scenario.baseline / 100,
            None if crowd is None else crowd / 100,
            scenario.outcome == Outcome.YES,
        )
        result.append(ResolvedScenario(scenario, card, crowd, readers, banned))
    return result


def question_scores(question: Question) -> QuestionScores:
    """The scorecard of every resolved scenario, the headline and the full leaderboard."""
    resolved = resolved_scenarios(question)
    scored = [r for r in resolved if r.card is not None]
    headline = headline_of(resolved)
    excluded = {s.reader_id for r in scored for s in r.banned}
    results: dict[str, tuple[str, list[tuple[float, float]]]] = {}
    for r in scored:
        for standing, reader_score, peer in zip(
            r.readers, r.card.reader_scores, r.card.reader_peer_scores, strict=True
        ):
            name = (standing.display_name or "").strip()
            if name:
                results.setdefault(standing.reader_id, (name, []))[1].append(
                    (reader_score.brier, peer)
                )
    board = scoring.leaderboard(results.values())
    return QuestionScores(tuple(resolved), headline, len(excluded), tuple(board))


def headline_of(resolved: Sequence[ResolvedScenario]) -> str:
    """The scorecard's headline over these resolved scenarios."""
    cards = [r.card for r in resolved if r.card is not None]
    return scoring.headline(cards) if cards or not resolved else ALL_ANNULLED


def headlines_as_resolved(question: Question) -> dict[str, str]:
    """{scenario key: the scorecard's headline as it stood right after that scenario resolved}."""
    resolved = resolved_scenarios(question)
    return {
        r.scenario.key: headline_of(
            [other for other in resolved if other.scenario.resolved_at <= r.scenario.resolved_at]
        )
        for r in resolved
    }


def reader_scores(question: Question, reader: Reader | None) -> dict[str, dict] | None:
    """The reader's own scores per resolved scenario they had forecast; None if none resolved."""
    # A banned reader is left out of the crowd, so their peer score is None; their Brier stands.
    resolved = resolved_scenarios(question)
    if not resolved:
        return None
    mine: dict[str, dict] = {}
    if reader is None:
        return mine
    for r in resolved:
        key = r.scenario.key
        for index, standing in enumerate(r.readers):
            if standing.reader_id == reader.id:
                mine[key] = _own(r, standing.percent, index)
        for standing in r.banned:
            if standing.reader_id == reader.id:
                mine[key] = _own(r, standing.percent, None)
    return mine


def reader_verdict(question: Question, mine: dict[str, dict] | None) -> str | None:
    """The reader against the article in one sentence, from `reader_scores`; None if unscored."""
    if not mine:
        return None
    baselines = {s.key: s.baseline for s in question.scenarios}
    pairs = [
        (own["brier"], scoring.brier(baselines[key] / 100, own["outcome"] == Outcome.YES))
        for key, own in mine.items()
        if own["brier"] is not None
    ]
    return scoring.reader_headline(pairs)


def _own(r: ResolvedScenario, percent: int, index: int | None) -> dict:
    brier = peer = None
    if r.card is not None and index is None:  # banned: out of the crowd, scored alone
        brier = scoring.brier(percent / 100, r.card.yes)
    elif r.card is not None:
        brier, peer = r.card.reader_scores[index].brier, r.card.reader_peer_scores[index]
    return {
        "probability": percent,
        "outcome": r.outcome,
        "brier": _round(brier, 4),
        "peer_score": _round(peer, 2),
    }


def _round(value: float | None, digits: int) -> float | None:
    # + 0.0 turns a rounded -0.0 into 0.0, which reads better in JSON and on the page.
    return None if value is None else round(value, digits) + 0.0


def _score(score: scoring.Score | None, percent: float | None) -> dict | None:
    if score is None:
        return None
    return {
        "probability": _round(percent, 2),
        "brier": _round(score.brier, 4),
        "log": _round(score.log, 4),
        "baseline_score": _round(score.baseline_score, 2),
    }


def _scenario_document(r: ResolvedScenario) -> dict:
    card = r.card
    scenario = r.scenario
    return {
        "key": scenario.key,
        "label": scenario.label,
        "outcome": r.outcome,
        "resolved_at": scenario.resolved_at,
        "note": scenario.resolution_note,
        "article": _score(card and card.article, scenario.baseline),
        "crowd": _score(card and card.crowd, r.crowd_percent),
        "brier_difference": _round(card and card.brier_difference, 4),
        "log_ratio": _round(card and card.log_ratio, 2),
        "readers": {
            "n": card.readers_n if card else 0,
            "share_beat_article": _round(card and card.share_beat_article, 2),
            # Best first, without who: the distribution, never the readers' ids.
            "peer_scores": sorted((_round(p, 2) for p in card.reader_peer_scores), reverse=True)
            if card
            else [],
        },
        "excluded_banned": len(r.banned) if card else 0,
    }


def scores_document(question: Question, page: int = 1) -> dict:
    """The question's scores in the API's shape (SPEC §7), the leaderboard paginated."""
    scores = question_scores(question)
    board = paginate_rows(scores.leaderboard, page, PER_PAGE)
    return {
        "headline": scores.headline,
        "scenarios": [_scenario_document(r) for r in scores.scenarios],
        "leaderboard": {
            **board.envelope(
                [
                    {
                        "display_name": row.display_name,
                        "mean_brier": _round(row.mean_brier, 4),
                        "resolved_count": row.resolved_count,
                        "peer_score": _round(row.peer_score, 2),
                    }
                    for row in board.items
                ]
            ),
            "per_page": PER_PAGE,
        },
        "excluded_banned": scores.excluded_banned,
    }


def scorecard_for_page(question: Question, page: int = 1) -> dict:
    """The scores document plus sentences for the page partial `scores/_scorecard.html`."""
    document = scores_document(question, page)
    for item in document["scenarios"]:
        item["words"] = {
            "brier_difference": brier_difference_words(item["brier_difference"]),
            "log_ratio": log_ratio_words(item["log_ratio"]),
        }
    return document


def brier_difference_words(difference: float | None) -> str | None:
    """The Brier difference (crowd - article) in words; None when there is no crowd."""
    if difference is None:
        return None
    if abs(difference) <= scoring.TIE_TOLERANCE:
        return "The crowd and the article have the same Brier score."
    better = "crowd" if difference < 0 else "article"
    return (
        f"Brier difference (crowd − article): {_signed(difference, 4)}. "
        f"Lower Brier is better, so the {better} did better."
    )


def log_ratio_words(log_ratio: float | None) -> str | None:
    """100·ln(p_crowd / p_article) for what happened, in words; None when there is no crowd."""
    if log_ratio is None:
        return None
    if log_ratio == 0:
        return "The crowd and the article gave what happened the same probability."
    ratio = math.exp(abs(log_ratio) / 100)
    more, less = ("crowd", "article") if log_ratio > 0 else ("article", "crowd")
    return (
        f"The {more} gave what happened {ratio:.2f} times the {less}'s probability "
        f"(100·ln of the ratio: {_signed(log_ratio, 2)})."
    )


def _signed(value: float, digits: int) -> str:
    text = f"{abs(value):.{digits}f}"
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text
