"""SQL prompts' reference queries run on SQLite and return the rows their sections expect."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from pydantic import ValidationError

from bot.core.bank import Prompt, SqlExtras
from bot.core.vocab import InterviewType
from bot.prompts import load_bundled, load_pack
from bot.prompts.sql_check import MIN_SQLITE, verify

SQL_PROMPTS = load_bundled().prompts(type=InterviewType.SQL_DATA_MODELLING)

#: SQL prompts whose answer is a design argued in words (indexes, plans, trade-offs) with no
#: sample data a query could be checked against. Every other SQL prompt carries a ``sql`` section.
DESIGN_ONLY = {
    "sql-event-table-design",
    "sql-slow-dashboard-query",
}


def test_sqlite_is_new_enough_for_the_reference_queries() -> None:
    assert sqlite3.sqlite_version_info >= MIN_SQLITE


@pytest.mark.parametrize("prompt", [p for p in SQL_PROMPTS if p.sql], ids=lambda p: p.id)
def test_reference_queries_return_the_expected_rows(prompt: Prompt) -> None:
    assert prompt.sql is not None
    assert verify(prompt.sql) == []


def test_every_sql_prompt_with_sample_data_is_verified() -> None:
    unverified = sorted(p.id for p in SQL_PROMPTS if p.sql is None)
    assert unverified == sorted(DESIGN_ONLY & {p.id for p in SQL_PROMPTS})


# ---------------------------------------------------------------- the checker itself

SECTION = {
    "ddl": "CREATE TABLE t (k INTEGER, v TEXT, x NUMERIC);",
    "seed": "INSERT INTO t VALUES (1, 'a', 0.1), (2, NULL, 0.2), (3, 'c', 10);",
}


def section(**check: object) -> SqlExtras:
    return SqlExtras.model_validate({**SECTION, "checks": [{"name": "a check", **check}]})


def test_matching_rows_pass_in_any_order_and_numbers_compare_after_rounding() -> None:
    assert (
        verify(section(reference="SELECT k, v FROM t", expected=[[3, "c"], [1, "a"], [2, None]]))
        == []
    )
    # 0.1 + 0.2 is 0.30000000000000004 in floating point.
    assert verify(section(reference="SELECT SUM(x) FROM t WHERE k < 3", expected=[[0.3]])) == []
    assert verify(section(reference="SELECT x FROM t WHERE k = 3", expected=[[10.0]])) == []


def test_a_wrong_row_a_missing_row_and_a_wrong_order_are_reported() -> None:
    wrong = verify(
        section(reference="SELECT k, v FROM t", expected=[[1, "a"], [2, None], [3, "x"]])
    )
    assert len(wrong) == 1 and "a check" in wrong[0] and "'x'" in wrong[0]
    assert verify(section(reference="SELECT k FROM t", expected=[[1], [2]])) != []
    assert verify(section(reference="SELECT k FROM t", expected=[[1], [2], [3]])) == []
    assert (
        verify(
            section(
                reference="SELECT k FROM t ORDER BY k DESC",
                expected=[[1], [2], [3]],
                order_matters=True,
            )
        )
        != []
    )
    # NULL is not the empty string, nor 0.
    assert verify(section(reference="SELECT v FROM t WHERE k = 2", expected=[[""]])) != []


def test_scripts_run_first_and_later_checks_see_their_changes() -> None:
    sql = SqlExtras.model_validate(
        {
            **SECTION,
            "checks": [
                {
                    "name": "delete",
                    "script": "DELETE FROM t WHERE v IS NULL;",
                    "reference": "SELECT COUNT(*) FROM t",
                    "expected": [[2]],
                },
                {"name": "after", "reference": "SELECT k FROM t", "expected": [[1], [3]]},
            ],
        }
    )
    assert verify(sql) == []


def test_failing_sql_is_reported_with_the_check_name() -> None:
    problems = verify(section(reference="SELECT nope FROM t", expected=[]))
    assert problems and problems[0].startswith("a check: ") and "nope" in problems[0]
    # One statement per reference: a second one would go unchecked.
    assert verify(section(reference="SELECT 1; SELECT 2", expected=[[1]])) != []
    broken = SqlExtras.model_validate(
        {
            "ddl": "CREATE TABLE t (",
            "seed": "SELECT 1;",
            "checks": [{"name": "one", "reference": "SELECT 1", "expected": [[1]]}],
        }
    )
    assert verify(broken)[0].startswith("ddl: ")


def test_foreign_keys_are_enforced() -> None:
    sql = SqlExtras.model_validate(
        {
            "ddl": "CREATE TABLE a (id INTEGER PRIMARY KEY);"
            " CREATE TABLE b (a_id INTEGER REFERENCES a);",
            "seed": "INSERT INTO b VALUES (7);",
            "checks": [{"name": "one", "reference": "SELECT 1", "expected": [[1]]}],
        }
    )
    assert "FOREIGN KEY" in verify(sql)[0]


def test_expected_values_must_be_plain_text_numbers_or_null() -> None:
    # YAML reads an unquoted 2024-03-01 as a date; it must be quoted to compare with SQLite's text.
    with pytest.raises(ValidationError):
        section(reference="SELECT 1", expected=[[dt.date(2024, 3, 1)]])
    with pytest.raises(ValidationError, match="same number of values"):
        section(reference="SELECT 1", expected=[[1], [1, 2]])


def test_only_sql_prompts_take_a_sql_section() -> None:
    coding = next(p for p in load_bundled().prompts(type=InterviewType.CODING))
    data = coding.model_dump(mode="json", exclude_none=True)
    data["sql"] = {
        **SECTION,
        "checks": [{"name": "one", "reference": "SELECT 1", "expected": [[1]]}],
    }
    with pytest.raises(ValidationError, match="only sql-data-modelling prompts"):
        Prompt.model_validate(data)


def test_a_check_can_require_the_model_to_refuse_a_change() -> None:
    guarded = {
        "ddl": "CREATE TABLE u (email TEXT); CREATE UNIQUE INDEX u_email ON u (lower(email));",
        "seed": "INSERT INTO u VALUES ('a@x');",
    }

    def checks(script: str, error: str) -> SqlExtras:
        return SqlExtras.model_validate(
            {
                **guarded,
                "checks": [
                    {
                        "name": "refused",
                        "script": script,
                        "error": error,
                        "reference": "SELECT COUNT(*) FROM u",
                        "expected": [[1]],
                    }
                ],
            }
        )

    # Refused, and the transaction that tried is rolled back (the first insert is gone too).
    assert (
        verify(
            checks(
                "BEGIN; INSERT INTO u VALUES ('b@x'); INSERT INTO u VALUES ('A@x'); COMMIT;",
                "UNIQUE constraint failed",
            )
        )
        == []
    )
    accepted = verify(checks("INSERT INTO u VALUES ('c@x');", "UNIQUE constraint failed"))
    assert accepted and "did not" in accepted[0]
    other = verify(checks("INSERT INTO nowhere VALUES (1);", "UNIQUE constraint failed"))
    assert other and "no such table" in other[0]
    with pytest.raises(ValidationError, match="needs a 'script'"):
        SqlExtras.model_validate(
            {
                **guarded,
                "checks": [
                    {
                        "name": "refused",
                        "error": "UNIQUE",
                        "reference": "SELECT 1",
                        "expected": [[1]],
                    }
                ],
            }
        )


def test_a_sql_section_survives_a_pack_export_with_its_nulls() -> None:
    bank = load_bundled()
    original = bank.get("sql-deduplication")
    assert original.sql is not None and None in original.sql.checks[1].expected[2]
    text = bank.to_pack_text("sql-export", "SQL export", prompt_ids=[original.id])
    pack = load_pack(text.replace(f"id: {original.id}", "id: sql-export-dedup"), "yaml", bank=bank)
    assert pack.prompts[0].sql == original.sql
    assert verify(pack.prompts[0].sql) == []
