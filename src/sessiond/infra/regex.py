"""Text filters given as regular expressions, run on RE2 (linear time, bounded memory).

SQLite runs filters on RE2, PostgreSQL on its own engine: `portable_regex` holds a filter to the
subset both read alike and writes it out for each.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import re2

from sessiond.domain.errors import InvalidFilter
from sessiond.infra.portable_regex import DIALECTS, NO_LOOKAROUND, refusal, translate

MAX_PATTERN_LENGTH = 256
MAX_PROGRAM_MEMORY = 8 << 20
MAX_DATABASE_PATTERN_LENGTH = 8 * MAX_PATTERN_LENGTH

_NAMED_BACKREFERENCE = re.compile(r"\(\?P[=>]")
_BACKREFERENCE_ESCAPE = re.compile(r"invalid escape sequence: \\[1-9gk]")
_REASON_LENGTH = 80
_TOO_COMPLEX = "invalid filter: the pattern is too complex to run within the memory limit"


@dataclass(frozen=True, slots=True)
class SafePattern:
    source: str
    case_insensitive: bool


def compile_filter(pattern: str, *, case_insensitive: bool = True) -> SafePattern:
    """Check that `pattern` is a portable filter RE2 runs safely; raise `InvalidFilter` saying
    why not.

    An empty filter means "no filter": callers handle it before they get here.
    """
    if not pattern:
        raise InvalidFilter("empty filter")
    if "\x00" in pattern:
        raise InvalidFilter("the filter must not contain NUL characters")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise InvalidFilter(
            f"the filter is too long: at most {MAX_PATTERN_LENGTH} characters are allowed"
        )
    if not pattern.isascii() and not _encodable(pattern):
        raise InvalidFilter("the filter must be valid Unicode text")
    _compile(pattern, case_sensitive=not case_insensitive)
    refused = refusal(pattern)
    if refused:
        raise InvalidFilter(refused)
    safe = SafePattern(source=pattern, case_insensitive=case_insensitive)
    if len(for_database(safe, "postgresql")) > MAX_DATABASE_PATTERN_LENGTH:
        raise InvalidFilter(_TOO_COMPLEX)
    _compile(for_database(safe), case_sensitive=True)
    return safe


def matcher(pattern: SafePattern) -> Callable[[str | None], bool]:
    """A predicate with search semantics, the same as the databases'; `None` never matches."""
    regexp = _compile(for_database(pattern), case_sensitive=True)

    def matches(value: str | None) -> bool:
        return value is not None and regexp.search(value) is not None

    return matches


def for_database(pattern: SafePattern, dialect: str = "sqlite") -> str:
    """The pattern to send to a database's REGEXP (`sqlite`) or `~` (`postgresql`) operator,
    to run case-sensitively."""
    if dialect not in DIALECTS:
        raise ValueError(f"no regular expressions for the {dialect!r} dialect")
    return translate(pattern.source, case_insensitive=pattern.case_insensitive, dialect=dialect)


def sqlite_regexp(pattern: str, value: object) -> int:
    """SQLite's `regexp(pattern, value)`, the function behind `value REGEXP pattern`."""
    if value is None:
        return 0
    if len(pattern) > MAX_DATABASE_PATTERN_LENGTH:
        raise ValueError("the filter is too long")
    try:
        regexp = _compile(pattern, case_sensitive=True)
    except InvalidFilter as exc:
        raise ValueError(exc.message) from None
    return int(regexp.search(_as_text(value)) is not None)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _compile(pattern: str, *, case_sensitive: bool) -> Any:
    regexp, reason = _compile_cached(pattern, case_sensitive)
    if regexp is None:
        raise InvalidFilter(_explain(pattern, reason))
    return regexp


@functools.lru_cache(maxsize=256)
def _compile_cached(pattern: str, case_sensitive: bool) -> tuple[Any, str]:
    """Compile once; refusals are cached too, so a costly bad pattern costs once."""
    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.max_mem = MAX_PROGRAM_MEMORY
    options.log_errors = False
    try:
        return re2.compile(pattern, options), ""
    except re2.error as exc:
        return None, _reason(exc)


def _reason(exc: Exception) -> str:
    reason = exc.args[0] if exc.args else ""
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", errors="replace")
    return str(reason)


def _explain(pattern: str, reason: str) -> str:
    if _is_lookaround_or_backreference(pattern, reason):
        return f"invalid filter: {NO_LOOKAROUND}"
    if reason.startswith("pattern too large"):
        return _TOO_COMPLEX
    if len(reason) > _REASON_LENGTH:
        reason = reason[: _REASON_LENGTH - 3] + "..."
    return f"invalid filter: {reason}"


def _is_lookaround_or_backreference(pattern: str, reason: str) -> bool:
    operator = reason.removeprefix("invalid perl operator: ")
    if operator != reason:
        named_backreference = operator == "(?P" and _NAMED_BACKREFERENCE.search(pattern)
        return operator.startswith(("(?=", "(?!", "(?<=", "(?<!")) or bool(named_backreference)
    return _BACKREFERENCE_ESCAPE.match(reason) is not None
