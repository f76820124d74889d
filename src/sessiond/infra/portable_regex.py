"""The portable subset of regular expressions that RE2 and PostgreSQL's ARE read alike, and the
rewrite of a pattern for each engine.

PostgreSQL reads some of RE2's syntax differently (`\\b` is a backspace, `\\z` an error, `.`
matches a newline) and takes `\\w`, POSIX classes and case folding from the server's locale. So a
filter is first held to a portable subset, then written out for each engine with nothing left to
interpretation: classes as explicit ASCII ranges, `.` as `[^\\n]`, case-insensitivity as explicit
case variants (the folding RE2's `(?i)` applies), word boundaries as RE2's `\\b` or ARE lookaround.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass
from typing import TypeAlias

MAX_REPEAT = 255  # PostgreSQL's limit; RE2 allows 1000
DIALECTS = ("sqlite", "postgresql")

_QUANTIFIER_BRACES = re.compile(r"\{([0-9]+)(,([0-9]*))?\}")
_INLINE_FLAGS = re.compile(r"\(\?[^:)]*[:)]?")
NO_LOOKAROUND = "lookaround and backreferences are not supported"

Ranges: TypeAlias = tuple[tuple[int, int], ...]


def _ascii(*spans: str) -> Ranges:
    return tuple((ord(span[0]), ord(span[-1])) for span in spans)


_WORD = _ascii("09", "AZ", "_", "az")
_CLASS_ESCAPES = {"d": _ascii("09"), "w": _WORD, "s": _ascii("\t\n", "\f\r", " ")}
# RE2's ASCII definitions; NUL is left out since PostgreSQL text cannot hold it.
_POSIX_CLASSES = {
    "alnum": _ascii("09", "AZ", "az"),
    "alpha": _ascii("AZ", "az"),
    "ascii": _ascii("\x01\x7f"),
    "blank": _ascii("\t", " "),
    "cntrl": _ascii("\x01\x1f", "\x7f"),
    "digit": _ascii("09"),
    "graph": _ascii("!~"),
    "lower": _ascii("az"),
    "print": _ascii(" ~"),
    "punct": _ascii("!/", ":@", "[`", "{~"),
    "space": _ascii("\t\r", " "),
    "upper": _ascii("AZ"),
    "word": _WORD,
    "xdigit": _ascii("09", "AF", "af"),
}
_CHARACTER_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f"}
_ESCAPE_ADVICE = {
    "A": "use ^",
    "z": "use $",
    "Z": "use $",
    "p": "Unicode classes are not portable",
    "P": "Unicode classes are not portable",
    "Q": "escape each character with \\ instead",
    "E": "escape each character with \\ instead",
    "x": "type the character itself",
    "B": "the engines disagree on it next to non-ASCII characters",
}
_WRITTEN_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f"}
_ARE_WORD = "[0-9A-Z_a-z]"
_ARE_WORD_BOUNDARY = f"(?:(?<!{_ARE_WORD})(?={_ARE_WORD})|(?<={_ARE_WORD})(?!{_ARE_WORD}))"


# The portable subset, parsed into tokens both engines are given the same way


@dataclass(frozen=True, slots=True)
class TokenSet:
    """Characters to match one of: a literal, a class, a class escape or `.`."""

    ranges: Ranges
    negated: bool = False


@dataclass(frozen=True, slots=True)
class _WordBoundary:
    pass


Token: TypeAlias = str | TokenSet | _WordBoundary  # a str is written out as is on both engines


class _Refused(Exception):
    pass


@functools.lru_cache(maxsize=256)
def parsed(pattern: str) -> tuple[tuple[Token, ...], str]:
    """The tokens of a pattern RE2 accepted, or why it is not portable."""
    try:
        return _Parser(pattern).tokens(), ""
    except _Refused as exc:
        return (), f"invalid filter: {exc}"


class _Parser:
    def __init__(self, pattern: str) -> None:
        self._text = pattern
        self._pos = 0

    def tokens(self) -> tuple[Token, ...]:
        tokens: list[Token] = []
        repeatable = False
        while (char := self._next()) is not None:
            if char in "*+?{":
                tokens.append(self._quantifier(char, repeatable=repeatable))
                repeatable = False
                continue
            token = self._atom(char)
            tokens.append(token)
            repeatable = isinstance(token, TokenSet) or token == ")"
        return tuple(tokens)

    def _next(self) -> str | None:
        if self._pos >= len(self._text):
            return None
        self._pos += 1
        return self._text[self._pos - 1]

    def _peek(self, offset: int = 0) -> str:
        return self._text[self._pos + offset : self._pos + offset + 1]

    def _atom(self, char: str) -> Token:
        if char == "\\":
            return self._escape()
        if char == "[":
            return self._class()
        if char == "(":
            return self._group()
        if char == ".":
            return TokenSet(_ascii("\n"), negated=True)
        if char == "}":
            raise _Refused("a literal } must be written \\}")
        if char in "|)^$":
            return char
        return TokenSet(((ord(char), ord(char)),))

    def _quantifier(self, char: str, *, repeatable: bool) -> str:
        text = char
        if char == "{":
            braces = _QUANTIFIER_BRACES.match(self._text, self._pos - 1)
            if braces is None:
                raise _Refused("a literal { must be written \\{")
            counts = [int(count) for count in braces.group(1, 3) if count]
            if max(counts) > MAX_REPEAT:
                raise _Refused(f"at most {MAX_REPEAT} repetitions are allowed")
            text = braces.group()
            self._pos = braces.end()
        if not repeatable:
            raise _Refused(f"{text} must follow a character, a class or a group")
        if self._peek() == "?":
            self._pos += 1
            text += "?"
        return text

    def _escape(self) -> Token:
        char = self._next() or ""
        if char == "b":
            return _WordBoundary()
        if char.lower() in _CLASS_ESCAPES:
            return TokenSet(_CLASS_ESCAPES[char.lower()], negated=char.isupper())
        return TokenSet(((self._escaped_char(char),) * 2,))

    def _escaped_char(self, char: str) -> int:
        if char in _CHARACTER_ESCAPES:
            return ord(_CHARACTER_ESCAPES[char])
        if char.isascii() and char and not char.isalnum():
            return ord(char)
        if char in "123456789":
            raise _Refused("backreferences are not supported")
        advice = _ESCAPE_ADVICE.get(char, "")
        raise _Refused(f"\\{char} is not supported" + (f"; {advice}" if advice else ""))

    def _group(self) -> str:
        if self._peek() != "?":
            return "("
        if self._peek(1) == ":":
            self._pos += 2
            return "(?:"
        if self._text.startswith(("(?=", "(?!", "(?<=", "(?<!"), self._pos - 1):
            raise _Refused(NO_LOOKAROUND)
        if self._text.startswith(("(?P<", "(?<"), self._pos - 1):
            raise _Refused("named groups are not supported; use (...)")
        if self._text.startswith("(?P=", self._pos - 1):
            raise _Refused("backreferences are not supported")
        flags = _INLINE_FLAGS.match(self._text, self._pos - 1)
        shown = flags.group().replace(":", ":...)") if flags else "(?"
        raise _Refused(f"{shown} is not supported; inline flags are not portable")

    def _class(self) -> TokenSet:
        negated = self._peek() == "^"
        self._pos += negated
        ranges: list[tuple[int, int]] = []
        first = True
        while (char := self._next()) != "]" or first:
            if char is None:
                raise _Refused("missing ]")
            item = self._class_item(char)
            if isinstance(item, tuple):
                ranges += item
            elif self._peek() == "-" and self._peek(1) not in ("]", ""):
                self._pos += 1
                ranges.append((item, self._range_end()))
            else:
                ranges.append((item, item))
            if self._peek() == "-" and self._peek(1) not in ("]", ""):
                raise _Refused("a literal - inside [...] must be written \\-")
            first = False
        return TokenSet(tuple(ranges), negated=negated)

    def _class_item(self, char: str) -> int | Ranges:
        """A character, or the ranges of a class escape or a POSIX class."""
        if char == "[" and self._peek() in (".", "="):
            raise _Refused(f"[{self._peek()} is not supported inside [...]; write \\[")
        if char == "[" and self._peek() == ":":
            end = self._text.find(":]", self._pos)
            if end < 0:
                raise _Refused("a literal [ inside [...] must be written \\[")
            name = self._text[self._pos + 1 : end]
            if name not in _POSIX_CLASSES:
                raise _Refused(f"[:{name}:] is not supported")
            self._pos = end + 2
            return _POSIX_CLASSES[name]
        if char != "\\":
            return ord(char)
        escaped = self._next() or ""
        if escaped in _CLASS_ESCAPES:
            return _CLASS_ESCAPES[escaped]
        if escaped.lower() in _CLASS_ESCAPES or escaped.lower() == "b":
            raise _Refused(f"\\{escaped} is not supported inside [...]")
        return self._escaped_char(escaped)

    def _range_end(self) -> int:
        char = self._next() or ""
        end = self._class_item(char) if char != "[" else None
        if not isinstance(end, int):
            raise _Refused("a range inside [...] must end with a character")
        return end


# Writing the tokens out for an engine


def refusal(pattern: str) -> str:
    """Why `pattern` (one RE2 accepted) is outside the portable subset, or "" when it is inside."""
    return parsed(pattern)[1]


@functools.lru_cache(maxsize=256)
def translate(pattern: str, *, case_insensitive: bool, dialect: str) -> str:
    """The pattern written out for `dialect`'s engine, to run case-sensitively."""
    tokens, refused = parsed(pattern)
    if refused:
        raise ValueError(refused)
    return "".join(_write(token, case_insensitive, dialect) for token in tokens)


def _write(token: Token, case_insensitive: bool, dialect: str) -> str:
    if isinstance(token, str):
        return token
    if isinstance(token, _WordBoundary):
        return _ARE_WORD_BOUNDARY if dialect == "postgresql" else "\\b"
    ranges = merged_ranges(token.ranges)
    if case_insensitive:
        ranges = with_case_variants(ranges)
    if not token.negated and len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _literal(chr(ranges[0][0]))
    body = "".join(_class_range(low, high) for low, high in ranges)
    return f"[{'^' if token.negated else ''}{body}]"


def _literal(char: str) -> str:
    if char.isascii() and char.isprintable() and not char.isalnum() and char != " ":
        return "\\" + char
    return _WRITTEN_ESCAPES.get(char, char)


def _class_range(low: int, high: int) -> str:
    if low == high:
        return _class_char(chr(low))
    separator = "-" if high > low + 1 else ""
    return _class_char(chr(low)) + separator + _class_char(chr(high))


def _class_char(char: str) -> str:
    if char in "\\]-^[":
        return "\\" + char
    return _WRITTEN_ESCAPES.get(char, char)


def merged_ranges(ranges: Ranges) -> Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(high, merged[-1][1]))
        else:
            merged.append((low, high))
    return tuple(merged)


@functools.lru_cache(maxsize=1024)
def with_case_variants(ranges: Ranges) -> Ranges:
    """Merged `ranges` with their case variants added; `ranges` are merged already, so each
    character is looked at once."""
    cased, variants = _case_table()
    added = [
        (variant, variant)
        for low, high in ranges
        for point in cased[bisect.bisect_left(cased, low) : bisect.bisect_right(cased, high)]
        for variant in variants[point]
        if not low <= variant <= high
    ]
    return merged_ranges(ranges + tuple(added))


@functools.cache
def _case_table() -> tuple[list[int], dict[int, tuple[int, ...]]]:
    """Characters with case variants, sorted, and each one's variants: those sharing its simple
    case folding (K, k and U+212A KELVIN SIGN; s, S and U+017F LONG S), as RE2's `(?i)` has it.

    Built once, in about 50 ms; no character past U+1FFFF has a case.
    """
    orbits: dict[str, set[int]] = {}
    for point in range(0x20000):
        char = chr(point)
        if char.upper() != char or char.lower() != char:
            folded = _fold(char)
            orbits.setdefault(folded, {ord(folded)}).add(point)
    variants = {
        point: tuple(sorted(orbit - {point}))
        for orbit in orbits.values()
        if len(orbit) > 1
        for point in orbit
    }
    return sorted(variants), variants


def _fold(char: str) -> str:
    for folded in (char.casefold(), char.lower()):
        if len(folded) == 1:
            return folded
    return char
