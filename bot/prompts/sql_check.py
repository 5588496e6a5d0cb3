"""Run a SQL prompt's reference queries on SQLite and compare them with the expected rows.

A sql-data-modelling prompt may carry a ``sql`` section (:class:`bot.core.bank.SqlExtras`):
the statement's tables as DDL, its sample rows, and reference queries with the rows they
must return. :func:`verify` builds an in-memory SQLite database (standard library, no
server) and reports every query that fails or returns something else, so the worked
answers in the guides are checked, not just written down.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from bot.core.bank import SqlExtras, SqlQueryCheck

__all__ = ["MIN_SQLITE", "normalise_rows", "run_check", "verify"]

#: Window functions arrived in SQLite 3.25, aggregate FILTER clauses in 3.30.
MIN_SQLITE = (3, 30, 0)
#: Numbers are compared after rounding to this many decimals (floating sums and ratios).
DECIMALS = 6

Row = tuple[object, ...]


def _value(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        rounded = round(float(value), DECIMALS)
        return 0.0 if rounded == 0 else rounded  # -0.0 prints as a difference
    return value


def normalise_rows(rows: Sequence[Sequence[object]], *, ordered: bool) -> list[Row]:
    """Rows in a comparable form: numbers rounded alike, and sorted unless order matters."""
    out = [tuple(_value(v) for v in row) for row in rows]
    if not ordered:
        out.sort(
            key=lambda row: tuple(
                (0, 0.0, "")
                if v is None
                else (1, v, "")
                if isinstance(v, float)
                else (2, 0.0, str(v))
                for v in row
            )
        )
    return out


class ScriptDidNotFail(Exception):
    """A check's script was expected to fail (its ``error``) and did not, or failed otherwise."""


def run_check(con: sqlite3.Connection, check: SqlQueryCheck) -> list[Row]:
    """Run the check's script (if any) and its reference query; the rows it returned.

    When the check names an ``error``, the script must fail with it; its open transaction
    is rolled back and the reference runs on what is left.
    """
    if check.script and check.error is None:
        con.executescript(check.script)
    elif check.script and check.error is not None:
        try:
            con.executescript(check.script)
        except sqlite3.Error as exc:
            if con.in_transaction:
                con.rollback()
            if check.error.lower() not in str(exc).lower():
                raise ScriptDidNotFail(
                    f"the script failed with {exc!s}, not {check.error!r}"
                ) from exc
        else:
            raise ScriptDidNotFail(
                f"the script was expected to fail with {check.error!r}, and it did not"
            )
    return [tuple(row) for row in con.execute(check.reference).fetchall()]


def _show(rows: Sequence[Row], limit: int = 6) -> str:
    shown = "; ".join(repr(list(r)) for r in rows[:limit])
    more = f"; ... {len(rows) - limit} more" if len(rows) > limit else ""
    return f"[{shown}{more}]"


def verify(sql: SqlExtras) -> list[str]:
    """Every problem with the section: SQL that fails, or a query whose rows differ from ``expected``."""
    con = sqlite3.connect(":memory:")
    try:
        con.execute("PRAGMA foreign_keys = ON")
        for part, text in (("ddl", sql.ddl), ("seed", sql.seed)):
            try:
                con.executescript(text)
            except sqlite3.Error as exc:
                return [f"{part}: {exc}"]
        problems: list[str] = []
        for check in sql.checks:
            try:
                actual = run_check(con, check)
            except (sqlite3.Error, ScriptDidNotFail) as exc:
                problems.append(f"{check.name}: {exc}")
                continue
            got = normalise_rows(actual, ordered=check.order_matters)
            want = normalise_rows(check.expected, ordered=check.order_matters)
            if got != want:
                problems.append(f"{check.name}: expected {_show(want)}, got {_show(got)}")
        return problems
    finally:
        con.close()
