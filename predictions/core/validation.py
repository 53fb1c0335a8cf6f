"""Input rules shared by the HTML forms and the JSON schemas: one rule, one place."""

from collections.abc import Iterable, Mapping

PERCENT_MIN = 1
PERCENT_MAX = 99
COMMENT_MAX = 2000
DISPLAY_NAME_MAX = 40
# The reasons of models.FlagReason; "I disagree" is deliberately not one of them.
FLAG_REASONS = ("spam", "abuse", "hate", "off-topic", "other")
FLAG_REASON_MESSAGE = f"Choose one of: {', '.join(FLAG_REASONS)}. Disagreeing is not a reason."
FLAG_DETAILS_MAX = 500
PERCENT_MESSAGE = f"Enter a whole number of percent from {PERCENT_MIN} to {PERCENT_MAX}."


def percent_problem(value: object) -> str | None:
    """Why a value is not an acceptable whole percent, or None when it is."""
    # bool is an int subclass in Python; JSON true must not pass as 1.
    if isinstance(value, bool) or not isinstance(value, int):
        return PERCENT_MESSAGE
    if not PERCENT_MIN <= value <= PERCENT_MAX:
        return PERCENT_MESSAGE
    return None


def check_probabilities(
    raw: Mapping[str, object], scenario_keys: Iterable[str]
) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Split a reader's {key: percent} into the accepted values and per-key error messages."""
    known = set(scenario_keys)
    accepted: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for key, value in raw.items():
        if key not in known:
            errors[key] = ["Unknown scenario for this question."]
        elif problem := percent_problem(value):
            errors[key] = [problem]
        else:
            accepted[key] = value  # type: ignore[assignment]
    return accepted, errors


# Deeper JSON than any of our bodies needs; Python's parser would recurse until it fails.
JSON_DEPTH_MAX = 32


def json_too_deep(text: str, limit: int = JSON_DEPTH_MAX) -> bool:
    """Whether arrays and objects nest deeper than limit (brackets inside strings don't count)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False
