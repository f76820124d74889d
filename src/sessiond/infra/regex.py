"""Text filters given as regular expressions, run on RE2 (linear time, bounded memory)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import re2

from sessiond.domain.errors import InvalidFilter

MAX_PATTERN_LENGTH = 256
MAX_PROGRAM_MEMORY = 8 << 20

_CASE_INSENSITIVE = "(?i)"
_LEADING_FLAGS = re.compile(r"\(\?([A-Za-z]*)\)")
_MAX_DATABASE_PATTERN_LENGTH = MAX_PATTERN_LENGTH + len(_CASE_INSENSITIVE)
_LOOKAROUND_OPERATORS = ("(?=", "(?!", "(?<=", "(?<!")
_NAMED_BACKREFERENCE = re.compile(r"\(\?P[=>]")
_BACKREFERENCE_ESCAPE = re.compile(r"invalid escape sequence: \\[1-9gk]")
_REASON_LENGTH = 80


@dataclass(frozen=True, slots=True)
class SafePattern:
    source: str
    case_insensitive: bool


def compile_filter(pattern: str, *, case_insensitive: bool = True) -> SafePattern:
    """Check that `pattern` is a filter RE2 runs safely; raise `InvalidFilter` saying why not.

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
    _compile(pattern, case_sensitive=not case_insensitive)
    return SafePattern(source=pattern, case_insensitive=case_insensitive)


def matcher(pattern: SafePattern) -> Callable[[str | None], bool]:
    """A predicate with search semantics; `None` never matches."""
    regexp = _compile(pattern.source, case_sensitive=not pattern.case_insensitive)

    def matches(value: str | None) -> bool:
        return value is not None and regexp.search(value) is not None

    return matches


def for_database(pattern: SafePattern) -> str:
    """The pattern to send to a database's REGEXP / `~` operator.

    PostgreSQL runs its own engine, but only ever on patterns RE2 has accepted.
    """
    if not pattern.case_insensitive:
        return pattern.source
    flags = _LEADING_FLAGS.match(pattern.source)
    if flags is None:
        return _CASE_INSENSITIVE + pattern.source
    if "i" in flags.group(1):
        return pattern.source
    return "(?i" + pattern.source[2:]


def sqlite_regexp(pattern: str, value: object) -> int:
    """SQLite's `regexp(pattern, value)`, the function behind `value REGEXP pattern`."""
    if value is None:
        return 0
    if len(pattern) > _MAX_DATABASE_PATTERN_LENGTH:
        raise ValueError("the filter is too long")
    try:
        regexp = _compile(pattern, case_sensitive=True)
    except InvalidFilter as exc:
        raise ValueError(exc.message) from None
    return int(regexp.search(_as_text(value)) is not None)


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
        return "invalid filter: lookaround and backreferences are not supported"
    if reason.startswith("pattern too large"):
        return "invalid filter: the pattern is too complex to run within the memory limit"
    if len(reason) > _REASON_LENGTH:
        reason = reason[: _REASON_LENGTH - 3] + "..."
    return f"invalid filter: {reason}"


def _is_lookaround_or_backreference(pattern: str, reason: str) -> bool:
    operator = reason.removeprefix("invalid perl operator: ")
    if operator != reason:
        named_backreference = operator == "(?P" and _NAMED_BACKREFERENCE.search(pattern)
        return operator.startswith(_LOOKAROUND_OPERATORS) or bool(named_backreference)
    return _BACKREFERENCE_ESCAPE.match(reason) is not None
