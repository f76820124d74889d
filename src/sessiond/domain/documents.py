"""The JSON documents a user carries (traits, public and admin metadata): what every backend can
store and every client can read back, whichever door wrote them."""

from __future__ import annotations

import json
import math
from typing import Any

from sessiond.domain.errors import InvalidInput

MAX_DOCUMENT_BYTES = 64 * 1024
MAX_DOCUMENT_DEPTH = 32
# Numbers every store and encoder round-trips: PostgreSQL reads a float such as 1e20 back as an
# integer, and an integer past 64 bits cannot be written out again as JSON.
MIN_NUMBER, MAX_NUMBER = -(2**63), 2**63 - 1


def check_document(value: dict[str, Any] | None, *, field: str) -> dict[str, Any] | None:
    """Refuses what would be lost or refused on the way to storage: numbers JSON cannot carry
    (NaN, ±Infinity: SQLite would store null, PostgreSQL refuses them) or that would not read back
    (past 64 bits), NUL characters
    (PostgreSQL's jsonb refuses them), nesting past `MAX_DOCUMENT_DEPTH` and more than
    `MAX_DOCUMENT_BYTES` once serialised."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"{field} must be a JSON object", field=field)
    _check_tree(value, field=field)
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            f"{field} must be at most {MAX_DOCUMENT_BYTES // 1024} KiB as JSON", field=field
        )
    return value


def _check_tree(root: dict[str, Any], *, field: str) -> None:
    """Walks without recursion, so a deep document is refused rather than crashing the walk."""
    pending: list[tuple[Any, int]] = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict | list) and depth > MAX_DOCUMENT_DEPTH:
            raise InvalidInput(
                f"{field} must nest at most {MAX_DOCUMENT_DEPTH} levels deep", field=field
            )
        if isinstance(node, dict):
            for key, item in node.items():
                _check_scalar(key, field=field)
                pending.append((item, depth + 1))
        elif isinstance(node, list):
            pending.extend((item, depth + 1) for item in node)
        else:
            _check_scalar(node, field=field)


def _check_scalar(value: Any, *, field: str) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{field} must not contain NaN or Infinity", field=field)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and not MIN_NUMBER <= value <= MAX_NUMBER:
        raise InvalidInput(f"{field} must hold numbers between -2^63 and 2^63 - 1", field=field)
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput(f"{field} must not contain NUL characters", field=field)
    elif value is not None and not isinstance(value, bool | int | float):
        raise InvalidInput(f"{field} must hold only JSON values", field=field)
