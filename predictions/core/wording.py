"""Numbers and times in plain words: thousands separators, the right singular or plural,
"in 3 days" and "on 12 March"."""

from datetime import datetime, timedelta, tzinfo

# Plurals that are not the singular plus "s".
IRREGULAR = {"entry": "entries", "reader was": "readers were", "reader has": "readers have"}


def number(value: int | float) -> str:
    """A count or an amount with thousands separators: 2001 -> "2,001", 1234.5 -> "1,234.5"."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.10g}"
    return f"{int(value):,}"


def plural(singular: str, count: int | float) -> str:
    """The noun for `count` of them: "point" for 1, "points" otherwise."""
    if count == 1:
        return singular
    return IRREGULAR.get(singular, singular + "s")


def count_of(count: int | float, singular: str, plural_form: str | None = None) -> str:
    """A count and its noun: (1, "point") -> "1 point", (2001, "reader") -> "2,001 readers"."""
    noun = singular if count == 1 else (plural_form or plural(singular, count))
    return f"{number(count)} {noun}"


# Closer than this, a moment reads as a span ("in 3 days"); further, as a date ("on 12 March").
RELATIVE_WITHIN = timedelta(days=7)


def span(delta: timedelta) -> str:
    """A positive span in its largest fitting unit, rounded down: "5 minutes", "26 hours" (up to
    two days hours say more than "1 day"), "3 days"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    if minutes < 60:
        return count_of(minutes, "minute")
    hours = minutes // 60
    if hours < 48:
        return count_of(hours, "hour")
    return count_of(hours // 24, "day")


def day(moment: datetime, now: datetime, zone: tzinfo) -> str:
    """The moment's date on the newsroom's calendar: "12 March", with the year when it is not
    this year's."""
    local, today = moment.astimezone(zone), now.astimezone(zone)
    text = f"{local.day} {MONTHS[local.month - 1]}"
    return text if local.year == today.year else f"{text} {local.year}"


def when(moment: datetime, now: datetime, zone: tzinfo) -> str:
    """"in 3 days" for a moment soon to come, else "on 12 March" (past or far ahead)."""
    if now < moment < now + RELATIVE_WITHIN:
        return f"in {span(moment - now)}"
    return f"on {day(moment, now, zone)}"


# English month names whatever the machine's locale (strftime's %B follows it).
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
