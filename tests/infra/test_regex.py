from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator

import pytest

from sessiond.domain.errors import InvalidFilter
from sessiond.infra.regex import (
    MAX_PATTERN_LENGTH,
    SafePattern,
    compile_filter,
    for_database,
    matcher,
    sqlite_regexp,
)


@pytest.fixture
def connection() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.create_function("regexp", 2, sqlite_regexp, deterministic=True)
    yield connection
    connection.close()


@pytest.mark.parametrize("pattern", ["chrome", "^Mozilla/5\\.0", "fire(fox|bird)", "[0-9]{2,3}"])
def test_valid_patterns_compile(pattern: str) -> None:
    assert compile_filter(pattern) == SafePattern(source=pattern, case_insensitive=True)


def test_search_semantics() -> None:
    matches = matcher(compile_filter("fox"))
    assert matches("Mozilla Firefox 120")
    assert not matches("Chrome")


def test_unicode_classes_prove_re2_is_used() -> None:
    with pytest.raises(re.error):
        re.compile(r"\p{Lu}")
    matches = matcher(compile_filter(r"^\p{Lu}", case_insensitive=False))
    assert matches("Élan")
    assert not matches("élan")


def test_none_never_matches() -> None:
    assert not matcher(compile_filter(".*"))(None)


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?P<x>a)(?P=x)", r"\k<x>"])
def test_backreferences_are_refused_clearly(pattern: str) -> None:
    with pytest.raises(InvalidFilter, match="lookaround and backreferences are not supported"):
        compile_filter(pattern)


@pytest.mark.parametrize("pattern", ["(?=x)", "(?!x)", "(?<=x)y", "(?<!x)y"])
def test_lookaround_is_refused_clearly(pattern: str) -> None:
    with pytest.raises(InvalidFilter, match="lookaround and backreferences are not supported"):
        compile_filter(pattern)


def test_syntax_errors_give_re2_reason() -> None:
    with pytest.raises(InvalidFilter, match=r"^invalid filter: missing \]"):
        compile_filter("[abc")


def test_long_reasons_are_trimmed() -> None:
    with pytest.raises(InvalidFilter) as caught:
        compile_filter("[" + "a" * 200)
    assert len(caught.value.message) < 120
    assert caught.value.message.endswith("...")


def test_too_long_pattern_is_refused() -> None:
    compile_filter("a" * MAX_PATTERN_LENGTH)
    with pytest.raises(InvalidFilter, match=f"at most {MAX_PATTERN_LENGTH} characters"):
        compile_filter("a" * (MAX_PATTERN_LENGTH + 1))


def test_empty_pattern_is_refused() -> None:
    with pytest.raises(InvalidFilter, match="empty filter"):
        compile_filter("")


def test_pattern_over_memory_budget_is_refused() -> None:
    with pytest.raises(InvalidFilter, match="too complex"):
        compile_filter(r"\pL{1000}")


def test_catastrophic_pattern_runs_in_linear_time() -> None:
    matches = matcher(compile_filter("(a+)+$", case_insensitive=False))
    assert not matches("a" * 5000 + "b")
    assert matches("b" + "a" * 5000)


def test_case_insensitivity() -> None:
    assert matcher(compile_filter("CHROME"))("chrome")
    assert not matcher(compile_filter("CHROME", case_insensitive=False))("chrome")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (SafePattern("chr", case_insensitive=True), "(?i)chr"),
        (SafePattern("chr", case_insensitive=False), "chr"),
        (SafePattern("(?i)chr", case_insensitive=True), "(?i)chr"),
        (SafePattern("(?s)a.b", case_insensitive=True), "(?is)a.b"),
    ],
)
def test_for_database(pattern: SafePattern, expected: str) -> None:
    assert for_database(pattern) == expected


def test_sqlite_regexp_function() -> None:
    assert sqlite_regexp("(?i)chr", "Chrome") == 1
    assert sqlite_regexp("chr", "Chrome") == 0
    assert sqlite_regexp("chr", None) == 0
    assert sqlite_regexp("^12", 123) == 1
    assert sqlite_regexp("fox", b"Firefox") == 1


def test_sqlite_regexp_refuses_invalid_pattern_with_value_error() -> None:
    with pytest.raises(ValueError, match="lookaround"):
        sqlite_regexp("(?=x)", "x")


def test_sqlite_regexp_registered_on_connection(connection: sqlite3.Connection) -> None:
    assert connection.execute("SELECT 'Chrome' REGEXP '(?i)chr'").fetchone() == (1,)
    assert connection.execute("SELECT 'Chrome' REGEXP 'chr'").fetchone() == (0,)
    assert connection.execute("SELECT NULL REGEXP 'chr'").fetchone() == (0,)


def test_sqlite_filters_rows_with_database_pattern(connection: sqlite3.Connection) -> None:
    connection.execute("CREATE TABLE device (name TEXT)")
    connection.executemany("INSERT INTO device VALUES (?)", [("Chrome",), ("Firefox",), (None,)])
    pattern = for_database(compile_filter("CHR"))
    rows = connection.execute("SELECT name FROM device WHERE name REGEXP ?", (pattern,))
    assert rows.fetchall() == [("Chrome",)]


def test_sqlite_invalid_pattern_is_an_sqlite_error(connection: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.OperationalError):
        connection.execute("SELECT 'x' REGEXP '(?=x)'").fetchone()
