"""Where a question stands on the clock: draft, scheduled, open or closed (pure: no Flask).

Nothing runs on a timer: the status is worked out from the stored moments whenever it is read,
so a question opens at `opens_at` and closes at `closes_at` by itself.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, tzinfo

from .wording import when as moment_words


class Phase(enum.StrEnum):
    DRAFT = "draft"  # not published: only editors see it
    SCHEDULED = "scheduled"  # published, visible, takes forecasts from opens_at
    OPEN = "open"  # takes forecasts
    CLOSED = "closed"  # past closes_at, or closed by an editor


# The order a question moves through as time passes (never backwards on its own).
ORDER = (Phase.DRAFT, Phase.SCHEDULED, Phase.OPEN, Phase.CLOSED)
LABELS = {
    Phase.DRAFT: "Draft",
    Phase.SCHEDULED: "Scheduled",
    Phase.OPEN: "Open",
    Phase.CLOSED: "Closed",
}


def phase_at(
    now: datetime,
    *,
    published_at: datetime | None,
    opens_at: datetime | None,
    closes_at: datetime | None,
    closed_by_hand: bool,
) -> Phase:
    """The question's phase at `now`: unpublished is a draft whatever the clock says; an
    editor's close wins over the times; before `opens_at` it is scheduled, from `closes_at` on
    it is closed."""
    if published_at is None or now < published_at:
        return Phase.DRAFT
    if closed_by_hand:
        return Phase.CLOSED
    if opens_at is not None and now < opens_at:
        return Phase.SCHEDULED
    if closes_at is not None and now >= closes_at:
        return Phase.CLOSED
    return Phase.OPEN


@dataclass(frozen=True)
class StatusWords:
    """A phase in words: the badge, then "closes" + "in 3 days" (the moment, for a <time>)."""

    phase: Phase
    verb: str = ""  # "closes", "closed", "opens"; empty when no moment is worth naming
    when: str = ""  # "in 3 days", "on 12 March"
    moment: datetime | None = None

    @property
    def label(self) -> str:
        return LABELS[self.phase]

    @property
    def sentence(self) -> str:
        """"Closes in 3 days", "Closed on 12 March", or the bare label."""
        if not self.verb:
            return self.label
        return f"{self.verb.capitalize()} {self.when}"


def describe(
    phase: Phase,
    now: datetime,
    zone: tzinfo,
    opens_at: datetime | None,
    closes_at: datetime | None,
) -> StatusWords:
    """What readers are told about the phase: when it opens, closes, or closed."""
    if phase == Phase.SCHEDULED and opens_at is not None and opens_at > now:
        return StatusWords(phase, "opens", moment_words(opens_at, now, zone), opens_at)
    if phase == Phase.OPEN and closes_at is not None and closes_at > now:
        return StatusWords(phase, "closes", moment_words(closes_at, now, zone), closes_at)
    if phase == Phase.CLOSED and closes_at is not None and closes_at <= now:
        return StatusWords(phase, "closed", moment_words(closes_at, now, zone), closes_at)
    # A draft, a question closed by an editor (no stored moment), or one open without a closing
    # time: the label says it all.
    return StatusWords(phase)
