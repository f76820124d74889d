"""The one way the door reads JSON: request bodies and the payload of its own page tokens.

orjson refuses what Kratos's Go decoder refuses too (NaN, Infinity, numbers past a double) and
stops at a nesting depth limit with a decode error, never a RecursionError.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from sessiond.api.kratos.errors import KratosError

NOT_JSON = "the body is not valid JSON"
NOT_OBJECT = "the body must be a JSON object"


def parse_json(raw: bytes) -> Any:
    """The decoded value; `ValueError` when `raw` is not JSON (or too deeply nested)."""
    return orjson.loads(raw)


async def json_body(request: Request, *, empty: bytes = b"null") -> Any:
    """The request's JSON body (`empty` stands in for no body); 400 when it is not JSON."""
    try:
        return parse_json(await request.body() or empty)
    except ValueError:
        raise KratosError(400, reason=NOT_JSON) from None


async def json_object(request: Request, *, empty: bytes = b"null") -> dict[str, Any]:
    body = await json_body(request, empty=empty)
    if not isinstance(body, dict):
        raise KratosError(400, reason=NOT_OBJECT)
    return body
