"""A question's phase follows the clock (draft, scheduled, open, closed), and reads in words."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictions.core.question_status import ORDER, Phase, describe, phase_at
from predictions.core.wording import day, span, when

NOW = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)
optional_moments = st.none() | moments


@st.composite
def questions(draw) -> dict:
    return {
        "published_at": draw(optional_moments),
        "opens_at": draw(optional_moments),
        "closes_at": draw(optional_moments),
        "closed_by_hand": draw(st.booleans()),
    }


@given(questions(), moments, moments)
def test_the_phase_never_moves_backwards_as_time_passes(question, first, second):
    earlier, later = sorted((first, second))
    before, after = phase_at(earlier, **question), phase_at(later, **question)
    assert ORDER.index(before) <= ORDER.index(after)


@given(questions(), moments)
def test_an_unpublished_question_is_a_draft_whatever_its_times(question, now):
    assert phase_at(now, **{**question, "published_at": None}) == Phase.DRAFT


@given(questions(), moments)
def test_it_is_open_only_when_published_not_closed_and_between_its_times(question, now):
    is_open = phase_at(now, **question) == Phase.OPEN
    published = question["published_at"] is not None and question["published_at"] <= now
    started = question["opens_at"] is None or question["opens_at"] <= now
    not_ended = question["closes_at"] is None or now < question["closes_at"]
    assert is_open == (published and not question["closed_by_hand"] and started and not_ended)


def test_the_phases_in_order_for_a_scheduled_question():
    times = {
        "published_at": NOW,
        "opens_at": NOW + timedelta(days=1),
        "closes_at": NOW + timedelta(days=10),
        "closed_by_hand": False,
    }
    assert phase_at(NOW - timedelta(seconds=1), **times) == Phase.DRAFT
    assert phase_at(NOW, **times) == Phase.SCHEDULED
    assert phase_at(NOW + timedelta(days=1), **times) == Phase.OPEN
    assert phase_at(NOW + timedelta(days=10), **times) == Phase.CLOSED


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(seconds=30), "less than a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=59, seconds=59), "59 minutes"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(hours=47, minutes=59), "47 hours"),
        (timedelta(days=3), "3 days"),
        (timedelta(days=3, hours=23), "3 days"),
    ],
)
def test_a_span_reads_in_its_largest_unit_rounded_down(delta, words):
    assert span(delta) == words


def test_a_moment_soon_reads_as_a_span_and_a_far_or_past_one_as_a_date():
    assert when(NOW + timedelta(days=3), NOW, UTC) == "in 3 days"
    assert when(NOW + timedelta(days=7), NOW, UTC) == "on 16 March"
    assert when(NOW - timedelta(days=3), NOW, UTC) == "on 6 March"
    assert when(datetime(2027, 1, 5, tzinfo=UTC), NOW, UTC) == "on 5 January 2027"


def test_the_date_is_the_newsrooms():
    late_evening = datetime(2026, 3, 12, 23, 30, tzinfo=UTC)  # already 13 March in Paris
    assert day(late_evening, NOW, UTC) == "12 March"
    assert day(late_evening, NOW, PARIS) == "13 March"


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=6, hours=23)))
def test_a_span_is_never_more_than_the_time_left(delta):
    number, unit = (span(delta).split() + [""])[:2]
    if number.isdigit():
        seconds = {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
        assert int(number) * seconds <= delta.total_seconds()


@pytest.mark.parametrize(
    ("phase", "opens", "closes", "sentence"),
    [
        (Phase.SCHEDULED, NOW + timedelta(hours=2), None, "Opens in 2 hours"),
        (Phase.OPEN, None, NOW + timedelta(days=3), "Closes in 3 days"),
        (Phase.OPEN, None, NOW + timedelta(days=30), "Closes on 8 April"),
        (Phase.OPEN, None, None, "Open"),
        (Phase.CLOSED, None, datetime(2026, 3, 2, 9, tzinfo=UTC), "Closed on 2 March"),
        (Phase.CLOSED, None, NOW + timedelta(days=3), "Closed"),  # closed by an editor
        (Phase.DRAFT, NOW + timedelta(days=1), NOW + timedelta(days=3), "Draft"),
    ],
)
def test_what_readers_are_told(phase, opens, closes, sentence):
    words = describe(phase, NOW, UTC, opens, closes)
    assert words.sentence == sentence
    assert (words.moment is None) == (sentence in ("Open", "Closed", "Draft"))
