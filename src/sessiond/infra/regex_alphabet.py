"""Whether a filter can match text written in a small alphabet, such as the hex digits of an id.

A text filter is also compared with session and user ids, which are 32 lowercase hex digits. No
index serves a regular expression over an id, so when a filter cannot match any hex text at all
("firefox" needs an "i"), the store leaves those comparisons out: they are false on every row.

The answer errs one way only: `False` means no text over the alphabet matches; `True` means one
may (anchors, word boundaries and lengths are taken as satisfiable).
"""

from __future__ import annotations

# The portable subset's own parser and case folding, so this reads a pattern exactly as the
# rewrite for each engine does.
from sessiond.infra.portable_regex import (
    Token,
    TokenSet,
    merged_ranges,
    parsed,
)
from sessiond.infra.portable_regex import with_case_variants as case_variants
from sessiond.infra.regex import SafePattern

HEX_DIGITS = "0123456789abcdef"


def can_match_within(pattern: SafePattern, alphabet: str) -> bool:
    tokens, _refusal = parsed(pattern.source)  # a SafePattern is inside the subset
    return _Reach(tokens, alphabet, pattern.case_insensitive).pattern()


class _Reach:
    """A recursive walk over the parsed pattern: alternatives, sequences, repeats."""

    def __init__(self, tokens: tuple[Token, ...], alphabet: str, case_insensitive: bool) -> None:
        self._tokens = tokens
        self._pos = 0
        self._alphabet = alphabet
        self._case_insensitive = case_insensitive

    def pattern(self) -> bool:
        return self._alternatives()

    def _alternatives(self) -> bool:
        reachable = self._sequence()
        while self._peek() == "|":
            self._pos += 1
            reachable = self._sequence() or reachable
        return reachable

    def _sequence(self) -> bool:
        reachable = True
        while self._pos < len(self._tokens) and self._peek() not in ("|", ")"):
            atom = self._atom()
            repeat = self._peek()
            if isinstance(repeat, str) and repeat[:1] in ("*", "+", "?", "{"):
                self._pos += 1
                atom = atom or _least_repeats(repeat) == 0
            reachable = reachable and atom
        return reachable

    def _atom(self) -> bool:
        token = self._tokens[self._pos]
        self._pos += 1
        if isinstance(token, TokenSet):
            return self._has_member(token)
        if token in ("(", "(?:"):
            inner = self._alternatives()
            self._pos += 1  # the closing ")"
            return inner
        return True  # ^, $ and \b match no character

    def _has_member(self, token: TokenSet) -> bool:
        ranges = merged_ranges(token.ranges)
        if self._case_insensitive:
            ranges = case_variants(ranges)
        inside = (any(low <= ord(c) <= high for low, high in ranges) for c in self._alphabet)
        return not all(inside) if token.negated else any(inside)

    def _peek(self) -> Token | None:
        return self._tokens[self._pos] if self._pos < len(self._tokens) else None


def _least_repeats(quantifier: str) -> int:
    if quantifier[0] in "*?":
        return 0
    if quantifier[0] == "+":
        return 1
    return int(quantifier[1:].split(",")[0].rstrip("}?"))
