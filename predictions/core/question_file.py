"""Parse and check a question definition written in TOML (pure: no Flask, no database)."""

import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime

from .validation import percent_problem

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class QuestionFileError(ValueError):
    """A question file that cannot be loaded, with every problem listed."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ScenarioSpec:
    key: str
    label: str
    baseline: int
    impact: str
    resolution_criteria: str


@dataclass(frozen=True)
class QuestionSpec:
    slug: str
    title: str
    summary: str
    source_name: str
    source_url: str
    closing_question: str
    faq: tuple[tuple[str, str], ...]
    opens_at: datetime | None
    closes_at: datetime | None
    moderation_mode: str
    scenarios: tuple[ScenarioSpec, ...]


def _moment(value: object, field: str, problems: list[str]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    problems.append(f"{field}: expected a TOML date or date-time")
    return None


def _text(data: dict, field: str, problems: list[str], required: bool = True) -> str:
    value = data.get(field, "")
    if not isinstance(value, str) or (required and not value.strip()):
        problems.append(f"{field}: expected non-empty text")
        return ""
    return value.strip()


def parse_question(text: str) -> QuestionSpec:
    """Read a question definition, or raise QuestionFileError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise QuestionFileError([f"not valid TOML: {error}"]) from error
    problems: list[str] = []
    slug = _text(data, "slug", problems)
    if slug and not SLUG_PATTERN.match(slug):
        problems.append("slug: use lowercase letters, digits and single hyphens")
    source = data.get("source", {})
    faq = tuple(
        (_text(item, "question", problems), _text(item, "answer", problems))
        for item in data.get("faq", [])
    )
    scenarios = []
    for index, item in enumerate(data.get("scenarios", [])):
        key = _text(item, "key", problems)
        if key and not SLUG_PATTERN.match(key):
            problems.append(f"scenarios[{index}].key: use lowercase letters, digits and hyphens")
        baseline = item.get("baseline")
        if percent_problem(baseline):
            problems.append(f"scenarios[{index}].baseline: a whole percent from 1 to 99")
        scenarios.append(
            ScenarioSpec(
                key=key,
                label=_text(item, "label", problems),
                baseline=baseline if isinstance(baseline, int) else 0,
                impact=_text(item, "impact", problems, required=False),
                resolution_criteria=_text(item, "resolution", problems),
            )
        )
    if not scenarios:
        problems.append("scenarios: at least one scenario is needed")
    keys = [s.key for s in scenarios]
    if len(set(keys)) != len(keys):
        problems.append("scenarios: keys must be unique")
    mode = data.get("moderation", "pre")
    if mode not in ("pre", "post"):
        problems.append("moderation: 'pre' or 'post'")
    spec = QuestionSpec(
        slug=slug,
        title=_text(data, "title", problems),
        summary=_text(data, "summary", problems),
        source_name=_text(source, "name", problems),
        source_url=_text(source, "url", problems),
        closing_question=_text(data, "closing_question", problems),
        faq=faq,
        opens_at=_moment(data.get("opens_at"), "opens_at", problems),
        closes_at=_moment(data.get("closes_at"), "closes_at", problems),
        moderation_mode=mode,
        scenarios=tuple(scenarios),
    )
    if spec.source_url and not spec.source_url.startswith(("https://", "http://")):
        problems.append("source.url: an http(s) address")
    if problems:
        raise QuestionFileError(problems)
    return spec
