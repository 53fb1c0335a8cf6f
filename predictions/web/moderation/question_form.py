"""The editors' question form: the same plain data as a TOML file, checked by the same rules.

Works without JavaScript: rows of FAQ entries and scenarios are added, removed and moved by
submit buttons (`row_action`) that re-render the form and save nothing.
"""

import re

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectChoice,
    StringField,
    SubmitField,
    TextAreaField,
)

from ...core.question_file import SCENARIOS_MAX, Problem
from ..newsroom_time import from_local_input, to_local_input

NEW_SCENARIO_ROWS = 3  # articles usually end with three scenarios
NEW_FAQ_ROWS = 2
FAQ_MAX = 20
UPLOAD_MAX_BYTES = 32 * 1024  # the seed question's file is 5 KB
ROW_ACTION = re.compile(r"^(add|remove|up)-(faq|scenarios)(?:-(\d+))?$")
# A problem's path in the TOML (`scenarios[1].key`) and the form field that shows it.
PATH = re.compile(r"^(faq|scenarios)\[(\d+)\]\.(\w+)$")
TOP_LEVEL_FIELDS = {
    "title": "title",
    "slug": "slug",
    "source.name": "source_name",
    "source.url": "source_url",
    "summary": "summary",
    "closing_question": "closing_question",
    "article_urls": "article_urls",
    "opens_at": "opens_at",
    "closes_at": "closes_at",
    "moderation": "moderation",
}


class FaqEntryForm(Form):
    question = StringField("Question")
    answer = TextAreaField("Answer")


class ScenarioEntryForm(Form):
    label = StringField("Label")
    key = StringField("Key", description="Optional: made from the label when left empty.")
    # Text, not IntegerField: the rules' message ("Enter a whole number…") is the one shown.
    baseline = StringField("The article's likelihood (%)")
    impact = StringField("Potential impact (optional)")
    resolution = TextAreaField("How it resolves")


def _blank(values: dict) -> bool:
    return not any(str(value or "").strip() for value in values.values())


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _whole_number(text: str | None) -> object:
    """The typed baseline as an int when it is one, else as typed (the rules refuse it)."""
    text = (text or "").strip()
    return int(text) if re.fullmatch(r"[+-]?\d{1,9}", text) else (text or None)


class QuestionForm(FlaskForm):
    title = StringField("Title", description="The question readers see, in a sentence.")
    slug = StringField(
        "Slug",
        description="Part of the question's address. Optional: made from the title when left "
        "empty. It cannot change once the question has opened.",
    )
    source_name = StringField("Source name", description="The publication of the article.")
    source_url = StringField("Source address", description="https://…")
    summary = TextAreaField("Summary", description="The article's argument, in our own words.")
    closing_question = StringField(
        "Closing question", description="Quoted verbatim from the article."
    )
    # The buttons add rows up to these; the scenarios' list reads one row more, so a post with
    # too many gets the file's message ("Give 2 to 10 scenarios.") instead of losing rows unsaid.
    ROWS_ALLOWED = {"faq": FAQ_MAX, "scenarios": SCENARIOS_MAX}
    faq = FieldList(FormField(FaqEntryForm), max_entries=FAQ_MAX)
    scenarios = FieldList(FormField(ScenarioEntryForm), max_entries=SCENARIOS_MAX + 1)
    article_urls = TextAreaField(
        "Article addresses (optional)",
        description="One per line: where the article is published, so an embed placed there "
        "finds this question.",
    )
    opens_at = StringField("Opens (optional)")
    closes_at = StringField("Closes (optional)")
    moderation = RadioField(
        "Comments",
        choices=[
            SelectChoice("pre", "pre-moderated: they wait for a moderator"),
            SelectChoice("post", "post-moderated: published at once, moderated after"),
        ],
        default="pre",
        validate_choice=False,  # the rules' message names both choices
    )
    save = SubmitField("Save the question")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_errors: dict[str, list[str]] = {"faq": [], "scenarios": [], "form": []}
        self._rows: dict[str, list[int]] = {"faq": [], "scenarios": []}

    # ---- the form as the rules' plain data, and back

    def to_data(self) -> dict:
        """The form as a TOML file's data; blank rows are left out (and remembered, so that a
        problem of `scenarios[1]` shows beside the second filled-in row)."""
        rows = {}
        for name, entries in (("faq", self.faq), ("scenarios", self.scenarios)):
            kept = [(i, entry.data) for i, entry in enumerate(entries) if not _blank(entry.data)]
            self._rows[name] = [i for i, _values in kept]
            rows[name] = [values for _i, values in kept]
        data = {
            "title": self.title.data or "",
            "slug": self.slug.data or "",
            "source": {"name": self.source_name.data or "", "url": self.source_url.data or ""},
            "summary": self.summary.data or "",
            "closing_question": self.closing_question.data or "",
            "faq": [{"question": r["question"], "answer": r["answer"]} for r in rows["faq"]],
            "scenarios": [
                {
                    "label": r["label"],
                    "key": r["key"],
                    "baseline": _whole_number(r["baseline"]),
                    "impact": r["impact"],
                    "resolution": r["resolution"],
                }
                for r in rows["scenarios"]
            ],
            "article_urls": _lines(self.article_urls.data),
            "moderation": self.moderation.data,
        }
        for name in ("opens_at", "closes_at"):
            moment = from_local_input(self[name].data)
            if moment is not None:
                data[name] = moment
        return data

    @classmethod
    def from_data(cls, data: dict, **kwargs) -> "QuestionForm":
        """A form filled in from a definition's plain data (`data_from_spec`), no request data."""
        values = {
            "title": data.get("title", ""),
            "slug": data.get("slug", ""),
            "source_name": data.get("source", {}).get("name", ""),
            "source_url": data.get("source", {}).get("url", ""),
            "summary": data.get("summary", ""),
            "closing_question": data.get("closing_question", ""),
            "faq": data.get("faq", []),
            "scenarios": [
                {**item, "baseline": "" if item.get("baseline") is None else item["baseline"]}
                for item in data.get("scenarios", [])
            ],
            "article_urls": "\n".join(data.get("article_urls", [])),
            "opens_at": to_local_input(data.get("opens_at")),
            "closes_at": to_local_input(data.get("closes_at")),
            "moderation": data.get("moderation", "pre"),
        }
        return cls(formdata=None, data=values, **kwargs)

    @classmethod
    def blank(cls) -> "QuestionForm":
        empty_scenario = {"label": "", "key": "", "baseline": "", "impact": "", "resolution": ""}
        return cls.from_data(
            {
                "faq": [{"question": "", "answer": ""}] * NEW_FAQ_ROWS,
                "scenarios": [empty_scenario] * NEW_SCENARIO_ROWS,
            }
        )

    # ---- rows added, removed and moved without JavaScript

    def row_action(self, action: str | None) -> bool:
        """Apply an `add-scenarios`, `remove-faq-2` or `up-scenarios-1` button; False when
        `action` is none of them."""
        match = ROW_ACTION.match(action or "")
        if not match:
            return False
        verb, name, index = match.group(1), match.group(2), match.group(3)
        entries: FieldList = self[name]
        values = [entry.data for entry in entries]
        i = int(index) if index is not None else None
        if verb == "add" and len(values) < self.ROWS_ALLOWED[name]:
            values.append({})
        elif verb == "remove" and i is not None and i < len(values):
            del values[i]
        elif verb == "up" and i is not None and 0 < i < len(values):
            values[i - 1], values[i] = values[i], values[i - 1]
        # Rebuild the list from the values (WTForms has no API to reorder bound entries).
        while entries.entries:
            entries.pop_entry()
        for item in values:
            entries.append_entry(item)
        return True

    # ---- the rules' and the service's messages beside the fields

    def field_for(self, path: str):
        """The form field that shows a problem of `path` (`source.url`, `scenarios[1].key`), or
        None for the question as a whole."""
        if path in TOP_LEVEL_FIELDS:
            return self[TOP_LEVEL_FIELDS[path]]
        match = PATH.match(path)
        if match:
            name, index, field = match.group(1), int(match.group(2)), match.group(3)
            rows = self._rows[name] or list(range(len(self[name].entries)))
            if index < len(rows) and field in self[name].entries[rows[index]].form._fields:
                return self[name].entries[rows[index]].form[field]
        return None

    def show_problems(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.show_error(problem.field, problem.message)

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """A service's per-field messages (Invalid.errors)."""
        for path, messages in errors.items():
            for message in messages:
                self.show_error(path, message)

    def show_error(self, path: str, message: str) -> None:
        field = self.field_for(path)
        if field is not None:
            field.errors = [*field.errors, message]
        elif path in self.group_errors:
            self.group_errors[path].append(message)
        else:
            self.group_errors["form"].append(message)

    def problems(self) -> list[tuple[str, str]]:
        """(id to link to, message naming the field) for the error summary, in page order."""
        found = [("question-form", message) for message in self.group_errors["form"]]

        def add(*names: str) -> None:
            for name in names:
                field = self[name]
                found.extend((field.id, f"{field.label.text}: {m}") for m in field.errors)

        add("title", "slug", "closing_question", "summary", "source_name", "source_url")
        add("article_urls")
        for name, noun, parts in (
            ("scenarios", "Scenario", ("label", "key", "baseline", "impact", "resolution")),
            ("faq", "Entry", ("question", "answer")),
        ):
            found.extend((name, m) for m in self.group_errors[name])
            for i, entry in enumerate(self[name].entries):
                for field in (entry.form[part] for part in parts):
                    label = f"{noun} {i + 1}, {field.label.text}"
                    found.extend((field.id, f"{label}: {m}") for m in field.errors)
        add("opens_at", "closes_at", "moderation")
        return found


class QuestionUploadForm(FlaskForm):
    file = FileField(
        "Question file (.toml)",
        validators=[
            FileRequired("Choose a .toml file."),
            FileAllowed(["toml"], "Upload a .toml file."),
            FileSize(UPLOAD_MAX_BYTES, message=f"Upload at most {UPLOAD_MAX_BYTES // 1024} KB."),
        ],
        description="The file the command “flask questions load” reads. A file whose slug is "
        "taken updates that question.",
    )
    submit = SubmitField("Upload")

