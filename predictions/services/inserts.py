"""INSERTs for the hot write path: one Core statement, the rows attached to the session as loaded.

The ORM's unit of work costs more than the INSERT itself on every forecast. Here the rows become
persistent objects holding exactly the values written (no flush, no reload).
"""

import functools
from typing import TypeVar

from sqlalchemy import Insert, inspect
from sqlalchemy.orm import make_transient_to_detached

from ..extensions import db

M = TypeVar("M", bound=db.Model)


def insert_rows(model: type[M], rows: list[dict], match: str | None = None) -> list[M]:
    """INSERT the rows (every column but a generated key) in one statement, as persistent rows."""
    # With `match`, a column whose value differs between the rows, the generated keys come back
    # by RETURNING and are paired by that column: the order of RETURNING rows is not defined.
    if not rows:
        return []
    table = model.__table__
    (key,) = table.primary_key.columns
    generated = {key.name} if match is not None else set()
    for row in rows:
        if missing := set(table.columns.keys()) - generated - set(row):
            raise ValueError(f"{table.name}: every column needs a value; missing {sorted(missing)}")
    if match is None:
        db.session.execute(_insert(table), rows)
        loaded = rows
    else:
        keys = dict(db.session.execute(_insert(table, match), rows).all())
        loaded = [{**row, key.name: keys[row[match]]} for row in rows]
    objects = []
    session = db.session()
    for values in loaded:
        row = model(**values)
        make_transient_to_detached(row)  # as if loaded: nothing left to flush or to expire
        # The database has just taken this key, so an object still holding it was left by a
        # rolled-back attempt (a write redone after losing a race, with the same new reader id).
        if (stale := session.identity_map.get(inspect(row).key)) is not None:
            session.expunge(stale)
        session.add(row)
        objects.append(row)
    return objects


@functools.cache
def _insert(table, match: str | None = None) -> Insert:
    statement = db.insert(table)
    if match is None:
        return statement
    (key,) = table.primary_key.columns
    return statement.returning(table.c[match], key)
