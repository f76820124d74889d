from __future__ import annotations

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

ARE_WORD = "[0-9A-Z_a-z]"
ARE_BOUNDARY = f"(?:(?<!{ARE_WORD})(?={ARE_WORD})|(?<={ARE_WORD})(?!{ARE_WORD}))"


@pytest.fixture
def connection() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.create_function("regexp", 2, sqlite_regexp, deterministic=True)
    yield connection
    connection.close()


@pytest.mark.parametrize(
    "pattern",
    [
        "chrome",
        "^Mozilla/5\\.0",
        "fire(fox|bird)",
        "[0-9]{2,3}",
        "(?:a|b)*?c{2,}?d??e+?",
        "[]a]",
        "[^]a-c]",
        "[[:alpha:][:digit:]_-]",
        "[\\d\\w\\s.]",
        "\\bwin\\b\\d\\D\\w\\W\\s\\S",
        "\\n\\t\\r\\f\\.\\{\\}\\[\\]\\(\\)\\-\\\\\\/\\ ",
        "()|(|a)",
        "a{255}",
        "José",
    ],
)
def test_portable_patterns_compile(pattern: str) -> None:
    assert compile_filter(pattern) == SafePattern(source=pattern, case_insensitive=True)


def test_search_semantics() -> None:
    matches = matcher(compile_filter("fox"))
    assert matches("Mozilla Firefox 120")
    assert not matches("Chrome")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"chrome\z", r"\z is not supported; use $"),
        (r"\Achrome", r"\A is not supported; use ^"),
        (r"\pL+", r"\p is not supported; Unicode classes are not portable"),
        (r"\p{Lu}", r"\p is not supported"),
        (r"\PL", r"\P is not supported"),
        (r"\Qa.b\E", r"\Q is not supported; escape each character with \ instead"),
        (r"\x41", r"\x is not supported; type the character itself"),
        (r"\C", r"\C is not supported"),
        (r"\v", r"\v is not supported"),
        (r"\a", r"\a is not supported"),
        (r"\0", r"\0 is not supported"),
        (r"a\Bb", r"\B is not supported"),
        ("(?i)chrome", "(?i) is not supported; inline flags are not portable"),
        ("(?i:CHROME)", "(?i:...) is not supported"),
        ("(?s:.)", "(?s:...) is not supported"),
        ("(?U)x*", "(?U) is not supported"),
        ("(?P<name>x)", "named groups are not supported; use (...)"),
        ("(?<name>x)", "named groups are not supported"),
        ("[[.a.]]", r"[. is not supported inside [...]; write \["),
        ("[[=a=]]", "[= is not supported inside [...]"),
        ("[[:^alpha:]]", "[:^alpha:] is not supported"),
        ("[[:a]", r"a literal [ inside [...] must be written \["),
        (r"[\D]", r"\D is not supported inside [...]"),
        (r"[a\W]", r"\W is not supported inside [...]"),
        (r"[\S]", r"\S is not supported inside [...]"),
        ("[a-z-9]", r"a literal - inside [...] must be written \-"),
        (r"[\d-z]", r"a literal - inside [...] must be written \-"),
        ("[[:alpha:]-z]", r"a literal - inside [...] must be written \-"),
        ("[!-[:alpha:]]", "a range inside [...] must end with a character"),
        ("a{,2}", r"a literal { must be written \{"),
        ("x{", r"a literal { must be written \{"),
        ("(^{1})", r"{1} must follow a character, a class or a group"),
        ("a}", r"a literal } must be written \}"),
        ("a{256}", "at most 255 repetitions are allowed"),
        ("a{2,300}", "at most 255 repetitions are allowed"),
        ("^*", "* must follow a character, a class or a group"),
        ("$?", "? must follow a character, a class or a group"),
        (r"\b+", "+ must follow a character, a class or a group"),
        ("(|a)${2}", "{2} must follow a character, a class or a group"),
    ],
)
def test_unportable_constructs_are_refused_by_name(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidFilter) as caught:
        compile_filter(pattern)
    assert caught.value.message.startswith(f"invalid filter: {reason}")


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(InvalidFilter, match="valid Unicode text"):
        compile_filter("chr\ud800ome")


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
    ("pattern", "sqlite", "postgresql"),
    [
        ("chr", "[Cc][Hh][Rr]", "[Cc][Hh][Rr]"),
        (r"\bchr\b", r"\b[Cc][Hh][Rr]\b", f"{ARE_BOUNDARY}[Cc][Hh][Rr]{ARE_BOUNDARY}"),
        ("a.b", r"[Aa][^\n][Bb]", r"[Aa][^\n][Bb]"),
        (r"\d\D", "[0-9][^0-9]", "[0-9][^0-9]"),
        (r"\s\S", r"[\t\n\f\r ][^\t\n\f\r ]", r"[\t\n\f\r ][^\t\n\f\r ]"),
        (r"\w", "[0-9A-Z_a-z\u017f\u212a]", "[0-9A-Z_a-z\u017f\u212a]"),
        ("[[:upper:]]", "[A-Za-z\u017f\u212a]", "[A-Za-z\u017f\u212a]"),
        ("[[:punct:]]", r"[!-/:-@\[-`{-~]", r"[!-/:-@\[-`{-~]"),
        (r"[^]\d.-]", r"[^\-.0-9\]]", r"[^\-.0-9\]]"),
        (
            "é|\N{GREEK SMALL LETTER SIGMA}",
            "[Éé]|[Σς\N{GREEK SMALL LETTER SIGMA}]",
            "[Éé]|[Σς\N{GREEK SMALL LETTER SIGMA}]",
        ),
        (r"5\.0{1,3}?\{", r"5\.0{1,3}?\{", r"5\.0{1,3}?\{"),
        ("(?:x)+(y)", "(?:[Xx])+([Yy])", "(?:[Xx])+([Yy])"),
    ],
)
def test_for_database(pattern: str, sqlite: str, postgresql: str) -> None:
    safe = compile_filter(pattern)
    assert for_database(safe) == for_database(safe, "sqlite") == sqlite
    assert for_database(safe, "postgresql") == postgresql


def test_for_database_case_sensitive_writes_letters_as_they_are() -> None:
    safe = compile_filter(r"Chr\w", case_insensitive=False)
    assert for_database(safe) == "Chr[0-9A-Z_a-z]"


def test_for_database_refuses_an_unknown_dialect() -> None:
    with pytest.raises(ValueError, match="mysql"):
        for_database(compile_filter("chr"), "mysql")


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("k", ["K", "k", "\u212a"], ["x"]),
        ("s", ["S", "\u017f"], ["x"]),
        ("ß", ["ß", "ẞ"], ["ss", "SS"]),
        ("\N{GREEK SMALL LETTER SIGMA}", ["Σ", "ς"], ["s"]),
        ("i", ["I"], ["\N{LATIN SMALL LETTER DOTLESS I}", "İ"]),
        ("josé", ["JOSÉ", "José"], ["JOSE"]),
        (r"^\w+$", ["abc_1", "\u212a"], ["é", "日本"]),
        (r"\bjos\b", ["José", "jos!"], ["josh", "_jos"]),
        (r"a.b", ["a-b", "aéb"], ["a\nb"]),
        (r"b$", ["ab"], ["ab\n"]),
        (r"\s", [" ", "\t", "\n", "\f", "\r"], ["\v", "\u00a0"]),
        ("[à-ÿ]", ["é", "É"], ["e"]),
    ],
)
def test_matching_semantics(pattern: str, matching: list[str], not_matching: list[str]) -> None:
    matches = matcher(compile_filter(pattern))
    assert [value for value in matching if not matches(value)] == []
    assert [value for value in not_matching if matches(value)] == []


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


def test_pattern_too_long_once_written_for_a_database_is_refused() -> None:
    compile_filter(r"\bx" * 20)
    with pytest.raises(InvalidFilter, match="too complex"):
        compile_filter(r"\bx" * 40)
