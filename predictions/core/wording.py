"""Numbers in plain words: thousands separators and the right singular or plural."""

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
