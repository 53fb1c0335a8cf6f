"""Pure moderation rules: decision plans and spreadsheet-safe CSV cells."""

import csv
import io
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictions.core import moderator_decisions as decisions
from predictions.core.csv_export import FORMULA_STARTS, csv_lines, pseudonym, safe_cell
from predictions.core.moderator_decisions import plan_decision


@pytest.mark.parametrize(
    ("action", "expected", "stored", "reported", "to", "audit_from"),
    [
        ("approve", "pending", "pending", False, "approved", "pending"),
        ("approve", "withheld", "withheld", False, "approved", "withheld"),
        ("approve", "rejected", "rejected", False, "approved", "rejected"),
        ("approve", "reported", "approved", True, "approved", "reported"),
        ("reject", "pending", "pending", False, "rejected", "pending"),
        ("reject", "approved", "approved", False, "rejected", "approved"),
        ("reject", "reported", "approved", True, "rejected", "reported"),
        ("spam", "withheld", "withheld", False, "rejected", "withheld"),
    ],
)
def test_plans_guard_on_the_state_the_moderator_saw(
    action, expected, stored, reported, to, audit_from
):
    reason = None if action == "approve" else "spam"
    plan, errors = plan_decision(action, expected, reason)
    assert errors == {}
    assert (plan.from_status, plan.must_be_reported, plan.to_status, plan.audit_from) == (
        stored,
        reported,
        to,
        audit_from,
    )


@pytest.mark.parametrize(
    ("action", "expected", "reason", "note", "field"),
    [
        ("reject", "pending", None, None, "reason"),
        ("spam", "pending", None, None, "reason"),
        ("reject", "pending", "rude", None, "reason"),
        ("approve", "pending", "rude", None, "reason"),
        ("reject", "pending", "other", "  ", "note"),
        ("reject", "pending", "spam", "x" * 501, "note"),
        ("publish", "pending", None, None, "action"),
        ("approve", "deleted", None, None, "expected_status"),
        ("approve", "approved", None, None, "action"),
        ("reject", "rejected", "spam", None, "action"),
        ("spam", "rejected", "spam", None, "action"),
    ],
)
def test_impossible_or_unexplained_decisions_are_refused(action, expected, reason, note, field):
    plan, errors = plan_decision(action, expected, reason, note)
    assert plan is None
    assert field in errors


def test_every_action_and_queue_gives_a_plan_or_a_message():
    for action in (*decisions.ACTIONS, "x"):
        for expected in (*decisions.QUEUES, "deleted"):
            plan, errors = plan_decision(action, expected, "other", "why")
            assert (plan is None) == bool(errors)


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_formula_cells_get_a_quote(start):
    assert safe_cell(f"{start}SUM(A1:A9)") == f"'{start}SUM(A1:A9)"


@given(st.text())
def test_no_cell_starts_like_a_formula(value):
    cell = safe_cell(value)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell in (value, "'" + value)


def test_cells_of_other_types():
    moment = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert [safe_cell(v) for v in (None, True, False, 42, moment)] == [
        "",
        "true",
        "false",
        "42",
        "2025-01-02T03:04:05+00:00",
    ]


def test_csv_lines_round_trip_through_the_csv_reader():
    rows = [("a,b", 'say "hi"', "line\nbreak"), ("=1+1", "-2", "@x")]
    text = "".join(csv_lines(("x", "y", "z"), rows))
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed == [["x", "y", "z"], ["a,b", 'say "hi"', "line\nbreak"], ["'=1+1", "'-2", "'@x"]]


def test_pseudonym_is_stable_keyed_and_not_the_id():
    key = b"secret"
    assert pseudonym("reader-1", key) == pseudonym("reader-1", key)
    assert pseudonym("reader-1", key) != pseudonym("reader-2", key)
    assert pseudonym("reader-1", key) != pseudonym("reader-1", b"other")
    assert "reader-1" not in pseudonym("reader-1", key)
    assert len(pseudonym("reader-1", key)) == 32
