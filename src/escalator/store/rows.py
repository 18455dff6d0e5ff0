"""Small helpers every part of the task log shares to map rows to records."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from escalator.store.sql import Cursor, Row

__all__ = ["returned_id", "row_fields"]


def returned_id(cur: Cursor) -> int:
    row = cur.fetchone()
    return int(row[0]) if row is not None else 0


def row_fields(row: Row, record: type[Any]) -> dict[str, Any]:
    """The row's values for the record's fields (columns a later schema adds are left out)."""
    columns = set(row.keys())
    return {f.name: row[f.name] for f in fields(record) if f.name in columns}
