"""Unit tests for predictions.scoring: hand-computed vectors, properties, sklearn cross-checks."""

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import brier_score_loss, log_loss

from predictions.core import scoring

# Open interval (0, 1); hypothesis must not hand us the endpoints.
probabilities = st.floats(min_value=0.0, max_value=1.0, exclude_min=True, exclude_max=True)
# sklearn clips probabilities at float eps, so cross-checks stay away from the extremes.
moderate_probabilities = st.floats(min_value=1e-6, max_value=1 - 1e-6)
outcomes = st.booleans()


# --- validation ---------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.0, 1.0, -0.1, 1.5, math.nan])
@pytest.mark.parametrize(
    "fn", [scoring.brier, scoring.log_score, scoring.baseline_score, scoring.score]
)
def test_probabilities_outside_open_interval_are_rejected(fn, p):
    with pytest.raises(ValueError):
        fn(p, True)


# --- hand-computed vectors ---------------------------------------------------------------------


def test_spec_example_article_baselines_all_resolving_yes():
    # (1 - 0.4)^2 = 0.36, (1 - 0.6)^2 = 0.16, (1 - 0.8)^2 = 0.04; mean = 0.56 / 3 = 0.18667
    briers = [scoring.brier(p, True) for p in (0.4, 0.6, 0.8)]
    assert briers == pytest.approx([0.36, 0.16, 0.04])
    assert sum(briers) / 3 == pytest.approx(0.1867, abs=5e-5)


def test_brier_uses_zero_for_a_no_outcome():
    # o = 0: (0.8 - 0)^2 = 0.64 and (0.3 - 0)^2 = 0.09
    assert scoring.brier(0.8, False) == pytest.approx(0.64)
    assert scoring.brier(0.3, False) == pytest.approx(0.09)


def test_log_score_is_ln_of_probability_given_to_what_happened():
    # yes: ln 0.8 = -0.22314; no: ln(1 - 0.8) = ln 0.2 = -1.60944; coin flip: ln 0.5 = -0.69315
    assert scoring.log_score(0.8, True) == pytest.approx(-0.2231435513)
    assert scoring.log_score(0.8, False) == pytest.approx(-1.6094379124)
    assert scoring.log_score(0.5, True) == pytest.approx(-0.6931471806)


def test_baseline_score_hand_values():
    # 100 * (log2 0.5 + 1) = 100 * (-1 + 1) = 0
    assert scoring.baseline_score(0.5, True) == pytest.approx(0.0, abs=1e-12)
    assert scoring.baseline_score(0.5, False) == pytest.approx(0.0, abs=1e-12)
    # 100 * (log2 0.25 + 1) = 100 * (-2 + 1) = -100
    assert scoring.baseline_score(0.25, True) == pytest.approx(-100.0)
    # no with p = 0.75 gives 0.25 to what happened: also -100
    assert scoring.baseline_score(0.75, False) == pytest.approx(-100.0)
    # 100 * (log2 0.8 + 1) = 100 * (-0.32193 + 1) = 67.807
    assert scoring.baseline_score(0.8, True) == pytest.approx(67.8071905)


def test_baseline_score_approaches_100_at_certainty():
    # p -> 1: log2 p -> 0, so the score -> 100 from below
    near_certain = scoring.baseline_score(1 - 1e-12, True)
    assert near_certain < 100.0
    assert near_certain == pytest.approx(100.0, abs=1e-6)
    assert scoring.baseline_score(1e-12, False) == pytest.approx(100.0, abs=1e-6)


def test_score_bundles_all_single_forecaster_scores():
    s = scoring.score(0.25, True)
    assert s == scoring.Score(
        probability=0.25,
        brier=scoring.brier(0.25, True),
        log=scoring.log_score(0.25, True),
        baseline_score=scoring.baseline_score(0.25, True),
    )
    assert s.brier == pytest.approx(0.5625)  # (1 - 0.25)^2


def test_peer_scores_two_readers_hand_computed():
    # yes; p_out = 0.8, 0.2; GM = sqrt(0.8 * 0.2) = 0.4; n/(n-1) = 2
    # reader 1: 100 * 2 * ln(0.8 / 0.4) = 200 ln 2 = +138.629
    # reader 2: 100 * 2 * ln(0.2 / 0.4) = -200 ln 2 = -138.629
    assert scoring.peer_scores([0.8, 0.2], True) == pytest.approx(
        [200 * math.log(2), -200 * math.log(2)]
    )
    assert 200 * math.log(2) == pytest.approx(138.629436)


def test_peer_scores_three_readers_on_no_hand_computed():
    # no; p = 0.1, 0.5, 0.9 -> p_out = 0.9, 0.5, 0.1
    # ln GM = (ln 0.9 + ln 0.5 + ln 0.1) / 3 = (-0.10536 - 0.69315 - 2.30259) / 3 = -1.03370
    # n/(n-1) = 1.5 -> 150 * (ln p_out - ln GM) = 139.251, 51.083, -190.334
    assert scoring.peer_scores([0.1, 0.5, 0.9], False) == pytest.approx(
        [139.2512, 51.0828, -190.3340], abs=1e-3
    )


def test_single_forecaster_peer_score_is_zero():
    assert scoring.peer_scores([0.93], True) == [0.0]


def test_no_forecasters_have_no_peer_scores():
    assert scoring.peer_scores([], False) == []


def test_identical_forecasts_all_have_zero_peer_score():
    assert scoring.peer_scores([0.3, 0.3, 0.3], True) == pytest.approx([0.0] * 3, abs=1e-9)


# --- hypothesis properties ---------------------------------------------------------------------


@settings(deadline=None)
@given(st.lists(probabilities, min_size=2, max_size=30), outcomes)
def test_peer_scores_sum_to_zero(ps, yes):
    peers = scoring.peer_scores(ps, yes)
    scale = max(1.0, max(abs(x) for x in peers))
    assert math.fsum(peers) == pytest.approx(0.0, abs=1e-9 * scale * len(ps))


@settings(deadline=None)
@given(probabilities, outcomes)
def test_brier_lies_in_unit_interval(p, yes):
    assert 0.0 <= scoring.brier(p, yes) <= 1.0


@settings(deadline=None)
@given(probabilities, outcomes)
def test_log_score_is_never_positive(p, yes):
    assert scoring.log_score(p, yes) <= 0.0


@settings(deadline=None)
@given(probabilities, outcomes)
def test_baseline_score_matches_log_score_in_base_two(p, yes):
    # 100 * (log2 p_out + 1) = 100 * (ln p_out / ln 2 + 1)
    expected = 100.0 * (scoring.log_score(p, yes) / math.log(2) + 1.0)
    assert scoring.baseline_score(p, yes) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(deadline=None)
@given(probabilities, probabilities, outcomes)
def test_better_forecast_never_scores_worse(p1, p2, yes):
    # p1 is at least as close to the outcome as p2
    closer, further = (max(p1, p2), min(p1, p2)) if yes else (min(p1, p2), max(p1, p2))
    assert scoring.brier(closer, yes) <= scoring.brier(further, yes)
    assert scoring.log_score(closer, yes) >= scoring.log_score(further, yes)
    assert scoring.baseline_score(closer, yes) >= scoring.baseline_score(further, yes)


@settings(deadline=None)
@given(st.lists(probabilities, max_size=10), probabilities, outcomes)
def test_scorecard_keeps_reader_order_and_share_bounds(ps, article_p, yes):
    card = scoring.scorecard(ps, article_p, statistics.median(ps) if ps else None, yes)
    assert [s.probability for s in card.reader_scores] == [float(p) for p in ps]
    assert list(card.reader_peer_scores) == scoring.peer_scores(ps, yes)
    assert card.readers_n == len(ps)
    if ps:
        assert 0.0 <= card.share_beat_article <= 100.0
    else:
        assert card.share_beat_article is None
        assert card.crowd is None


# --- scikit-learn cross-checks -----------------------------------------------------------------


@settings(deadline=None, max_examples=50)
@given(st.lists(st.tuples(moderate_probabilities, outcomes), min_size=1, max_size=40))
def test_mean_brier_matches_sklearn_brier_score_loss(pairs):
    ps = [p for p, _ in pairs]
    ys = [int(yes) for _, yes in pairs]
    ours = math.fsum(scoring.brier(p, yes) for p, yes in pairs) / len(pairs)
    assert ours == pytest.approx(brier_score_loss(ys, ps, labels=[0, 1]), rel=1e-9, abs=1e-12)


@settings(deadline=None, max_examples=50)
@given(st.lists(st.tuples(moderate_probabilities, outcomes), min_size=1, max_size=40))
def test_mean_log_score_matches_negated_sklearn_log_loss(pairs):
    ps = [p for p, _ in pairs]
    ys = [int(yes) for _, yes in pairs]
    ours = math.fsum(scoring.log_score(p, yes) for p, yes in pairs) / len(pairs)
    assert -ours == pytest.approx(log_loss(ys, ps, labels=[0, 1]), rel=1e-9, abs=1e-12)


# --- scorecard ---------------------------------------------------------------------------------


def test_scorecard_crowd_vs_article_hand_computed():
    # yes; article 0.4, readers 0.9, 0.7, 0.3 -> crowd median 0.7
    # Brier: article 0.36, crowd 0.09 -> difference -0.27 (crowd better)
    # log ratio: 100 * ln(0.7 / 0.4) = 55.962
    # readers' Brier 0.01, 0.09, 0.49: two of three beat 0.36 -> 66.67 %
    readers = [0.9, 0.7, 0.3]
    card = scoring.scorecard(readers, 0.4, statistics.median(readers), True)
    assert card.yes is True
    assert card.article == scoring.score(0.4, True)
    assert card.crowd == scoring.score(0.7, True)
    assert card.brier_difference == pytest.approx(-0.27)
    assert card.log_ratio == pytest.approx(100 * math.log(0.7 / 0.4))
    assert card.log_ratio == pytest.approx(55.9616, abs=1e-4)
    assert card.readers_n == 3
    assert card.share_beat_article == pytest.approx(200 / 3)
    assert card.reader_scores == tuple(scoring.score(p, True) for p in readers)
    assert card.reader_peer_scores == pytest.approx(scoring.peer_scores(readers, True))


def test_scorecard_on_no_outcome_article_better():
    # no; article 0.2 -> Brier 0.04; crowd 0.6 -> Brier 0.36; difference +0.32 (article better)
    # log ratio: 100 * ln(0.4 / 0.8) = -69.315
    card = scoring.scorecard([0.6], 0.2, 0.6, False)
    assert card.brier_difference == pytest.approx(0.32)
    assert card.log_ratio == pytest.approx(-100 * math.log(2))
    assert card.share_beat_article == 0.0
    assert card.reader_peer_scores == (0.0,)


def test_reader_equal_to_article_does_not_count_as_beating_it():
    card = scoring.scorecard([0.6, 0.61], 0.6, 0.605, True)
    assert card.share_beat_article == pytest.approx(50.0)


def test_scorecard_without_forecasts_has_no_crowd_or_comparison():
    card = scoring.scorecard([], 0.8, None, True)
    assert card.crowd is None
    assert card.brier_difference is None
    assert card.log_ratio is None
    assert card.readers_n == 0
    assert card.share_beat_article is None
    assert card.reader_scores == ()
    assert card.reader_peer_scores == ()
    assert card.article.brier == pytest.approx(0.04)


# --- headline ----------------------------------------------------------------------------------


def _card(crowd_p, article_p=0.5, yes=True):
    return scoring.scorecard([crowd_p] if crowd_p is not None else [], article_p, crowd_p, yes)


CROWD_WINS = _card(0.9)
ARTICLE_WINS = _card(0.1)
TIE = _card(0.5)
NO_CROWD = _card(None)


@pytest.mark.parametrize(
    ("cards", "expected"),
    [
        ([], "Nothing has resolved yet."),
        ([CROWD_WINS], "The crowd beat the article on 1 of 1 resolved scenario."),
        (
            [CROWD_WINS, ARTICLE_WINS, CROWD_WINS],
            "The crowd beat the article on 2 of 3 resolved scenarios.",
        ),
        ([ARTICLE_WINS], "The article beat the crowd on 1 of 1 resolved scenario."),
        (
            [ARTICLE_WINS, TIE, ARTICLE_WINS, CROWD_WINS],
            "The article beat the crowd on 2 of 4 resolved scenarios.",
        ),
        ([TIE], "The crowd and the article tied on 1 of 1 resolved scenario."),
        ([TIE, TIE], "The crowd and the article tied on 2 of 2 resolved scenarios."),
        (
            [CROWD_WINS, TIE, ARTICLE_WINS],
            "The crowd and the article each won 1 of 3 resolved scenarios.",
        ),
        ([NO_CROWD], "No resolved scenario has crowd forecasts to compare yet."),
    ],
)
def test_headline_wording(cards, expected):
    assert scoring.headline(cards) == expected


def test_headline_skips_crowdless_scenarios():
    cards = [CROWD_WINS, NO_CROWD]
    assert scoring.headline(cards) == "The crowd beat the article on 1 of 1 resolved scenario."


def test_headline_treats_float_noise_as_a_tie():
    # A crowd one ulp above the article differs in Brier by ~1e-16: noise, so it reads as a tie.
    crowd_p = math.nextafter(0.5, 1.0)
    card = scoring.scorecard([crowd_p], 0.5, crowd_p, True)
    assert card.brier_difference != 0.0
    assert scoring.headline([card]) == "The crowd and the article tied on 1 of 1 resolved scenario."


def test_headline_is_deterministic_for_any_card_order():
    cards = [CROWD_WINS, ARTICLE_WINS, CROWD_WINS, TIE]
    assert scoring.headline(cards) == scoring.headline(list(reversed(cards)))


# --- leaderboard -------------------------------------------------------------------------------


def test_leaderboard_ranks_by_mean_brier_ascending():
    rows = scoring.leaderboard(
        [
            ("carol", [(0.49, -50.0)]),
            ("alice", [(0.01, 80.0), (0.09, 20.0)]),  # mean 0.05, peer 50
            ("bob", [(0.16, 10.0)]),
        ]
    )
    assert [r.display_name for r in rows] == ["alice", "bob", "carol"]
    assert rows[0] == scoring.LeaderboardRow(
        display_name="alice", mean_brier=pytest.approx(0.05), resolved_count=2, peer_score=50.0
    )


def test_leaderboard_tie_prefers_more_resolved_scenarios_then_name():
    rows = scoring.leaderboard(
        [
            ("zed", [(0.25, 0.0), (0.25, 0.0)]),
            ("Bea", [(0.25, 0.0)]),
            ("amy", [(0.25, 0.0)]),
            ("yan", [(0.25, 0.0), (0.25, 0.0), (0.25, 0.0)]),
        ]
    )
    # yan (3) > zed (2) > amy, Bea (1 each, name ignoring case)
    assert [(r.display_name, r.resolved_count) for r in rows] == [
        ("yan", 3),
        ("zed", 2),
        ("amy", 1),
        ("Bea", 1),
    ]


def test_leaderboard_leaves_off_readers_without_resolved_scenarios():
    rows = scoring.leaderboard([("ghost", []), ("solo", [(0.04, 0.0)])])
    assert [r.display_name for r in rows] == ["solo"]
    assert scoring.leaderboard([]) == []


def test_leaderboard_peer_score_is_mean_of_peer_scores():
    rows = scoring.leaderboard([("dan", [(0.1, 30.0), (0.3, -10.0), (0.2, 10.0)])])
    assert rows[0].peer_score == pytest.approx(10.0)
    assert rows[0].mean_brier == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        ([], None),
        ([(0.01, 0.16)], "You beat the article on 1 of 1 resolved scenario you forecast."),
        (
            [(0.01, 0.16), (0.5, 0.04)],
            "You beat the article on 1 of 2 resolved scenarios you forecast.",
        ),
        ([(0.5, 0.04)], "The article beat you on the resolved scenario you forecast."),
        (
            [(0.5, 0.04), (0.3, 0.16)],
            "The article beat you on all 2 resolved scenarios you forecast.",
        ),
        (
            [(0.16, 0.16), (0.5, 0.04)],
            "You did not beat the article on any of the 2 resolved scenarios you forecast.",
        ),
    ],
)
def test_reader_headline(pairs, expected):
    assert scoring.reader_headline(pairs) == expected
