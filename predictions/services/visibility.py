"""Anti-anchoring: whose crowd numbers a viewer may see, scenario by scenario (SPEC §4)."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from ..extensions import db
from ..models import Question, Reader, ScenarioCount
from . import forecasts, questions


class Hidden(StrEnum):
    """Why one scenario's crowd is hidden from a viewer."""

    NOT_FORECAST = "not-forecast"  # they have no standing forecast on it
    TOO_FEW = "too-few"  # fewer than MIN_CROWD readers have one


@dataclass(frozen=True)
class CrowdVisibility:
    """Which scenarios' crowd a viewer may see; the rest with the reason they are hidden."""

    forecaster_count: int
    keys: tuple[str, ...]  # every scenario of the question, in its order
    hidden: Mapping[str, Hidden]  # the hidden ones only
    min_crowd: int

    def visible_for(self, key: str) -> bool:
        """Whether the crowd on this scenario may be shown."""
        return key not in self.hidden

    def reason_for(self, key: str) -> str | None:
        """Why the crowd on this scenario is hidden, in words for the reader (None: shown)."""
        reason = self.hidden.get(key)
        if reason is Hidden.NOT_FORECAST:
            return "Make your own forecast on this scenario first: its crowd is shown only after."
        if reason is Hidden.TOO_FEW:
            return f"This scenario's crowd is shown once {self.min_crowd} readers have forecast it."
        return None

    def short_reason_for(self, key: str) -> str | None:
        """The same in a few words, for a table cell (None: shown)."""
        reason = self.hidden.get(key)
        if reason is Hidden.NOT_FORECAST:
            return "Hidden until you forecast it"
        if reason is Hidden.TOO_FEW:
            return f"Hidden until {self.min_crowd} readers have forecast it"
        return None

    @property
    def visible_keys(self) -> tuple[str, ...]:
        return tuple(k for k in self.keys if k not in self.hidden)

    @property
    def visible(self) -> bool:
        """Every scenario's crowd may be shown (the API's per-question `visible`)."""
        return not self.hidden

    @property
    def any_visible(self) -> bool:
        return len(self.hidden) < len(self.keys)

    @property
    def hidden_reason(self) -> str | None:
        """Why (part of) the crowd is hidden, for the whole question (None: all shown)."""
        if not self.hidden:
            return None
        reasons = set(self.hidden.values())
        if not self.any_visible and reasons == {Hidden.NOT_FORECAST}:
            return "Make your own forecast first: the crowd is shown only after."
        if not self.any_visible and reasons == {Hidden.TOO_FEW}:
            return f"The crowd is shown once {self.min_crowd} readers have forecast."
        return (
            "The crowd on each scenario is shown once you have forecast that scenario and "
            f"{self.min_crowd} readers have."
        )


def crowd_visibility(
    question: Question,
    reader: Reader | None,
    min_crowd: int,
    is_moderator: bool = False,
    standing: Collection[str] | None = None,
    sizes: Mapping[int, int] | None = None,
) -> CrowdVisibility:
    """Per scenario whether the crowd shows: to moderators, on closed questions and on
    resolved scenarios always; else once the viewer has forecast it and min_crowd readers have."""
    # `standing` (the reader's scenario keys with a standing forecast) and `sizes` (readers per
    # scenario id, for those keys at least) spare the reads when the caller holds them.
    count = questions.forecaster_count(question)
    keys = tuple(s.key for s in question.scenarios)
    if is_moderator or not question.is_open():
        return CrowdVisibility(count, keys, {}, min_crowd)
    if standing is None:
        standing = forecasts.active_forecasts(reader, question)
    hidden: dict[str, Hidden] = {}
    # A resolved scenario takes no new forecasts: nobody can be anchored on it any more.
    open_scenarios = [s for s in question.scenarios if s.outcome is None]
    for scenario in open_scenarios:
        if scenario.key not in standing:
            hidden[scenario.key] = Hidden.NOT_FORECAST
    to_count = [s for s in open_scenarios if s.key not in hidden]
    if to_count:
        if sizes is None:
            sizes = crowd_sizes([s.id for s in to_count])
        for scenario in to_count:
            if sizes.get(scenario.id, 0) < min_crowd:
                hidden[scenario.key] = Hidden.TOO_FEW
    return CrowdVisibility(count, keys, hidden, min_crowd)


def crowd_sizes(scenario_ids: list[int]) -> dict[int, int]:
    """Readers with a standing forecast per scenario, bans excluded (from the counts)."""
    rows = db.session.execute(
        db.select(ScenarioCount.scenario_id, db.func.sum(ScenarioCount.count))
        .where(ScenarioCount.scenario_id.in_(scenario_ids))
        .group_by(ScenarioCount.scenario_id)
    )
    return {scenario_id: int(total or 0) for scenario_id, total in rows}
