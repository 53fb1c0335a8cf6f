"""Numbers in plain words: thousands separators and singulars."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictions.core.wording import count_of, number


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (0, "reader", "0 readers"),
        (1, "reader", "1 reader"),
        (2001, "reader", "2,001 readers"),
        (1, "point", "1 point"),
        (1.0, "point", "1 point"),
        (2.5, "point", "2.5 points"),
        (3, "entry", "3 entries"),
        (1, "reader has", "1 reader has"),
        (1_234_567, "reader has", "1,234,567 readers have"),
    ],
)
def test_count_of(count, noun, expected):
    assert count_of(count, noun) == expected


@given(st.integers(min_value=0, max_value=10**12))
def test_number_groups_digits_by_three_and_keeps_the_value(n):
    text = number(n)
    assert int(text.replace(",", "")) == n
    groups = text.split(",")
    assert 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
