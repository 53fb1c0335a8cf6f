"""A question's definition and its rules, whether it comes as TOML or from the editors' form.

Pure: no Flask, no database. Both doors build the same plain data (the TOML's shape) and call
`spec_from_data`, so the same mistake gets the same message from either.
"""

import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit

from slugify import slugify

from .validation import PERCENT_MESSAGE, percent_problem

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SCENARIOS_MIN, SCENARIOS_MAX = 2, 10
MODERATION_MODES = ("pre", "post")
# The model's column sizes: longer text would fail to store on PostgreSQL.
LIMITS = {
    "slug": 80,
    "title": 200,
    "source.name": 200,
    "source.url": 500,
    "closing_question": 500,
    "key": 64,
    "label": 200,
    "impact": 300,
}

REQUIRED = "Fill this in."
SLUG_MESSAGE = "Use lowercase letters, digits and single hyphens."
URL_MESSAGE = "Give an http:// or https:// address."
MOMENT_MESSAGE = "Give a date, or a date and time."
ORDER_MESSAGE = "The closing time must come after the opening time."
COUNT_MESSAGE = f"Give {SCENARIOS_MIN} to {SCENARIOS_MAX} scenarios."
DUPLICATE_KEY_MESSAGE = "Another scenario has this key; each needs its own."
MODERATION_MESSAGE = "Choose pre (comments wait for a moderator) or post."


def too_long(limit: int) -> str:
    return f"Use at most {limit} characters."


@dataclass(frozen=True)
class Problem:
    """One mistake: where (`slug`, `source.url`, `scenarios[1].key`…) and what is wrong."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class QuestionFileError(ValueError):
    """A question definition that cannot be used, with every problem listed."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.details = problems
        self.problems = [str(p) for p in problems]


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
    # Where the article is published: an embed without a slug finds its question by these.
    article_urls: tuple[str, ...] = ()


def derive_slug(text: str) -> str:
    """A slug or scenario key made from a title or label ('A summit?' -> 'a-summit')."""
    return slugify(text or "", max_length=LIMITS["slug"], word_boundary=True)


class _Reader:
    """Reads fields out of plain data, noting each problem under the field's path."""

    def __init__(self):
        self.problems: list[Problem] = []

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(field, message))

    def text(self, data: dict, name: str, path: str, required: bool = True) -> str:
        value = data.get(name, "")
        if not isinstance(value, str) or (required and not value.strip()):
            self.problem(path, REQUIRED)
            return ""
        value = value.strip()
        limit = LIMITS.get(path) or LIMITS.get(name)
        if limit and len(value) > limit:
            self.problem(path, too_long(limit))
        return value

    def moment(self, value: object, path: str) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        self.problem(path, MOMENT_MESSAGE)
        return None

    def slug(self, data: dict, name: str, path: str, derived_from: str) -> str:
        """The slug given, else one derived from `derived_from`."""
        given = data.get(name)
        if given is None or (isinstance(given, str) and not given.strip()):
            if not derived_from:
                return ""  # nothing to make it from: the title's (or label's) problem says so
            given = derive_slug(derived_from)
        value = self.text({name: given}, name, path)
        if value and not SLUG_PATTERN.match(value):
            self.problem(path, SLUG_MESSAGE)
        return value


def _table(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def spec_from_data(data: dict) -> QuestionSpec:
    """Check a question's plain data (TOML's shape), or raise QuestionFileError listing all."""
    read = _Reader()
    title = read.text(data, "title", "title")
    slug = read.slug(data, "slug", "slug", title)
    source = _table(data.get("source"))
    source_url = read.text(source, "url", "source.url")
    if source_url and not source_url.startswith(("https://", "http://")):
        read.problem("source.url", URL_MESSAGE)
    faq = tuple(
        (
            read.text(_table(item), "question", f"faq[{i}].question"),
            read.text(_table(item), "answer", f"faq[{i}].answer"),
        )
        for i, item in enumerate(data.get("faq", []))
    )
    scenarios = []
    for i, item in enumerate(data.get("scenarios", [])):
        item = _table(item)
        label = read.text(item, "label", f"scenarios[{i}].label")
        baseline = item.get("baseline")
        if percent_problem(baseline):
            read.problem(f"scenarios[{i}].baseline", PERCENT_MESSAGE)
        scenarios.append(
            ScenarioSpec(
                key=read.slug(item, "key", f"scenarios[{i}].key", label),
                label=label,
                baseline=baseline if isinstance(baseline, int) else 0,
                impact=read.text(item, "impact", f"scenarios[{i}].impact", required=False),
                resolution_criteria=read.text(item, "resolution", f"scenarios[{i}].resolution"),
            )
        )
    if not SCENARIOS_MIN <= len(scenarios) <= SCENARIOS_MAX:
        read.problem("scenarios", COUNT_MESSAGE)
    seen: set[str] = set()
    for i, scenario in enumerate(scenarios):
        if scenario.key and scenario.key in seen:
            read.problem(f"scenarios[{i}].key", DUPLICATE_KEY_MESSAGE)
        seen.add(scenario.key)
    article_urls = data.get("article_urls", [])
    if not isinstance(article_urls, list) or not all(
        isinstance(url, str) and url.lower().startswith(("https://", "http://"))
        for url in article_urls
    ):
        read.problem("article_urls", URL_MESSAGE)
        article_urls = []
    mode = data.get("moderation", "pre")
    if mode not in MODERATION_MODES:
        read.problem("moderation", MODERATION_MESSAGE)
    opens_at = read.moment(data.get("opens_at"), "opens_at")
    closes_at = read.moment(data.get("closes_at"), "closes_at")
    if opens_at and closes_at and closes_at <= opens_at:
        read.problem("closes_at", ORDER_MESSAGE)
    spec = QuestionSpec(
        slug=slug,
        title=title,
        summary=read.text(data, "summary", "summary"),
        source_name=read.text(source, "name", "source.name"),
        source_url=source_url,
        closing_question=read.text(data, "closing_question", "closing_question"),
        faq=faq,
        opens_at=opens_at,
        closes_at=closes_at,
        moderation_mode=mode,
        scenarios=tuple(scenarios),
        article_urls=tuple(dict.fromkeys(article_url(url) for url in article_urls)),
    )
    if read.problems:
        raise QuestionFileError(read.problems)
    return spec


def article_url(url: str) -> str:
    """An article's address as the embed compares it: without query or fragment, the scheme
    and host in lowercase (publishers add tracking parameters; the page stays the same)."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))


def data_from_spec(spec: QuestionSpec) -> dict:
    """A definition as plain data in the TOML's shape: what `spec_from_data` reads back to the
    same spec (a time left open is left out: TOML has no null)."""
    data: dict = {
        "slug": spec.slug,
        "title": spec.title,
        "closing_question": spec.closing_question,
        "summary": spec.summary,
        "moderation": spec.moderation_mode,
    }
    for name in ("opens_at", "closes_at"):
        if getattr(spec, name) is not None:
            data[name] = getattr(spec, name)
    data["article_urls"] = list(spec.article_urls)
    data["source"] = {"name": spec.source_name, "url": spec.source_url}
    data["faq"] = [{"question": q, "answer": a} for q, a in spec.faq]
    data["scenarios"] = [
        {
            "key": s.key,
            "label": s.label,
            "baseline": s.baseline,
            "impact": s.impact,
            "resolution": s.resolution_criteria,
        }
        for s in spec.scenarios
    ]
    return data


def parse_question(text: str) -> QuestionSpec:
    """Read a question file, or raise QuestionFileError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise QuestionFileError([Problem("file", f"not valid TOML: {error}")]) from error
    return spec_from_data(data)
