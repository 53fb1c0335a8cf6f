"""Pure rules: percent validation, IP prefixes, question files."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from predictions.core import pseudonyms, question_file, validation
from predictions.services.questions import seed_text


@given(st.integers(min_value=1, max_value=99))
def test_every_whole_percent_from_1_to_99_is_accepted(value):
    assert validation.percent_problem(value) is None


@pytest.mark.parametrize("value", [0, 100, -5, 150, 35.5, "35", None, True, False, 50.0])
def test_non_percents_are_refused(value):
    assert validation.percent_problem(value) == validation.PERCENT_MESSAGE


def test_check_probabilities_splits_accepted_and_errors():
    accepted, errors = validation.check_probabilities({"a": 10, "b": 0, "zz": 5}, ["a", "b"])
    assert accepted == {"a": 10}
    assert errors == {
        "b": [validation.PERCENT_MESSAGE],
        "zz": ["Unknown scenario for this question."],
    }


@pytest.mark.parametrize(
    "address, prefix",
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("203.0.113.1", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("not an address", "unknown"),
    ],
)
def test_network_prefix_keeps_only_the_24_or_48(address, prefix):
    assert pseudonyms.network_prefix(address) == prefix


def test_ip_hash_is_keyed_and_equal_within_a_prefix():
    key = b"k"
    assert pseudonyms.ip_hash("203.0.113.1", key) == pseudonyms.ip_hash("203.0.113.200", key)
    assert pseudonyms.ip_hash("203.0.113.1", key) != pseudonyms.ip_hash("203.0.114.1", key)
    assert pseudonyms.ip_hash("203.0.113.1", key) != pseudonyms.ip_hash("203.0.113.1", b"other")


def test_seed_question_file_has_the_articles_scenarios():
    spec = question_file.parse_question(seed_text())
    assert spec.slug == "us-russia-relations"
    assert (
        spec.closing_question == "What are your predictions for the future of US-Russia relations?"
    )
    assert [(s.key, s.baseline) for s in spec.scenarios] == [
        ("us-russia-cooperation", 40),
        ("us-eu-strain", 60),
        ("global-instability", 80),
    ]
    assert len(spec.faq) == 4
    assert all(s.resolution_criteria for s in spec.scenarios)


@pytest.mark.parametrize(
    "change, problem",
    [
        (("baseline = 40", "baseline = 100"), "scenarios[0].baseline"),
        (('key = "us-eu-strain"', 'key = "us-russia-cooperation"'), "scenarios[1].key: Another"),
        (('url = "https://www.archyworldys.com/"', 'url = "javascript:alert(1)"'), "source.url"),
        (('moderation = "pre"', 'moderation = "sometimes"'), "moderation"),
        (("opens_at = 2026-11-01", 'opens_at = "soon"'), "opens_at"),
    ],
)
def test_question_file_problems_are_reported(change, problem):
    text = seed_text().replace(*change)
    with pytest.raises(question_file.QuestionFileError) as error:
        question_file.parse_question(text)
    assert any(problem in p for p in error.value.problems)


def test_question_file_that_is_not_toml_is_reported():
    with pytest.raises(question_file.QuestionFileError, match="not valid TOML"):
        question_file.parse_question("slug = ")


def nesting(value) -> int:
    """How deep arrays and objects nest in a parsed JSON value (independent of the scanner)."""
    if isinstance(value, list):
        return 1 + max((nesting(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((nesting(v) for v in value.values()), default=0)
    return 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(alphabet='[]{}"\\ab'), inner, max_size=3),
    max_leaves=40,
)


@given(json_values, st.integers(min_value=0, max_value=8))
def test_json_depth_check_agrees_with_the_parsed_value(value, limit):
    text = json.dumps(value)
    assert validation.json_too_deep(text, limit) == (nesting(json.loads(text)) > limit)


def test_json_nested_twenty_thousand_deep_is_too_deep():
    assert validation.json_too_deep("[" * 20_000 + "]" * 20_000)
    assert not validation.json_too_deep('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')


def test_a_missing_slug_or_key_is_derived_from_the_title_or_label():
    text = seed_text().replace('slug = "us-russia-relations"\n', "")
    text = text.replace('key = "us-eu-strain"\n', "")
    spec = question_file.parse_question(text)
    assert spec.slug == "after-the-budapest-summit-plan-where-are-us-russia-relations-heading"
    assert spec.scenarios[1].key == question_file.derive_slug(spec.scenarios[1].label)


def test_a_slug_with_nothing_to_be_made_from_is_not_reported_twice():
    text = seed_text().replace('slug = "us-russia-relations"\n', "")
    text = text.replace('title = "After the Budapest summit plan', 'title = "')
    text = text.replace('title = ": where are US–Russia relations heading?"', 'title = ""')
    text = text.replace('key = "us-eu-strain"\n', "").replace(
        'label = "Strained US-EU Relations"', 'label = ""'
    )
    with pytest.raises(question_file.QuestionFileError) as error:
        question_file.parse_question(text)
    assert error.value.problems == ["title: Fill this in.", "scenarios[1].label: Fill this in."]


def test_a_definition_written_as_data_reads_back_the_same():
    spec = question_file.parse_question(seed_text())
    assert question_file.spec_from_data(question_file.data_from_spec(spec)) == spec


@pytest.mark.parametrize(
    "change, problem",
    [
        (("opens_at = 2026-11-01", "opens_at = 2026-11-01\ncloses_at = 2026-10-01"), "closes_at"),
        (('title = "After', 'title = "' + "x" * 200 + "After"), "title: Use at most 200"),
    ],
)
def test_newer_question_rules_are_reported(change, problem):
    with pytest.raises(question_file.QuestionFileError) as error:
        question_file.parse_question(seed_text().replace(*change))
    assert any(p.startswith(problem) for p in error.value.problems)


def test_a_question_has_two_to_ten_scenarios():
    one = seed_text().split("[[scenarios]]")
    with pytest.raises(question_file.QuestionFileError, match="Give 2 to 10 scenarios"):
        question_file.parse_question("[[scenarios]]".join(one[:2]))
    eleven = "[[scenarios]]".join(one + [one[1].replace('key = "', 'key = "more-')] * 8)
    with pytest.raises(question_file.QuestionFileError, match="Give 2 to 10 scenarios"):
        question_file.parse_question(eleven)
