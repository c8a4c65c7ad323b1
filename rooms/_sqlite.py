"""SQLite's hot statements run on the sqlite3 connection itself, inside the SQLAlchemy connection's transaction.

Through Core a statement cost ~18 µs of Python before SQLite's own 3-5 µs (execution context, result objects); the
writer runs two to two hundred of them a batch (a room's positions, the rows).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.exc import DBAPIError

# Rows an INSERT takes at most: 64 x 11 columns stays under the 999 variables of SQLite before 3.32, and the 64
# statement texts (one per row count) stay in the sqlite3 module's cache of 128 prepared statements.
INSERT_ROWS = 64


def execute(conn: Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    """Run ``sql`` in ``conn``'s transaction and return its rows; errors are SQLAlchemy's, as from ``conn.execute``."""
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    try:
        return driver.execute(sql, params).fetchall()
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, params, exc, sqlite3.Error, dialect=conn.dialect) from exc


class Insert:
    """A multi-row ``INSERT ... RETURNING id`` of ``columns``, values bound as SQLAlchemy binds them for SQLite."""

    def __init__(self, table: Table, columns: Sequence[str]) -> None:
        self._table, self._columns = table, tuple(columns)
        self._head = f"INSERT INTO {table.name} ({', '.join(self._columns)}) VALUES "
        self._row = "(" + ", ".join("?" * len(self._columns)) + ")"
        self._processors: list[tuple[int, Callable[[Any], Any]]] | None = None

    def __call__(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Insert ``rows`` (values in ``columns`` order); return their new ids in the rows' order.

        SQLite returns a multi-row INSERT's rows in no promised order; within one writer's transaction a table's
        new rowids only grow, so the sorted ids are the rows' (SQLAlchemy sorts them so for SQLite too).
        """
        processors = self._processors
        if processors is None:
            processors = self._processors = self._bind_processors(conn.dialect)
        values: list[Any] = []
        for row in rows:
            bound = list(row)
            for index, process in processors:
                bound[index] = process(bound[index])
            values += bound
        ids: list[int] = []
        width = len(self._columns)
        for start in range(0, len(rows), INSERT_ROWS):
            count = min(INSERT_ROWS, len(rows) - start)
            sql = self._head + ", ".join([self._row] * count) + " RETURNING id"
            chunk = values[start * width : (start + count) * width]
            ids += sorted(row[0] for row in execute(conn, sql, chunk))
        return ids

    def _bind_processors(self, dialect: Dialect) -> list[tuple[int, Callable[[Any], Any]]]:
        """The column types' conversions (enum members to names, datetimes to SQLite's text), as Core applies."""
        found: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(self._columns):
            column_type = self._table.c[name].type
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                found.append((index, process))
        return found
