"""JSON sent by clients (bodies, the `sort` parameter, DDP messages), parsed one way.

orjson refuses nesting deeper than its limit with `JSONDecodeError`, a `ValueError`; the standard
library's parser recurses until `RecursionError` instead, which no caller expects.
"""

from __future__ import annotations

from typing import Any

import orjson


def parse_json(raw: str | bytes) -> Any:
    """The decoded value; raises `ValueError` for anything that is not JSON or nests too deep."""
    return orjson.loads(raw)
