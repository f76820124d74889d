"""What a door's OpenAPI document says of an endpoint that reads its own query and body.

The Kratos and Rocket.Chat endpoints take the plain `Request` and parse it the way the product
they copy does (and the fast lane calls them without FastAPI), so FastAPI sees no parameters in
them. `documented` gives their route the query parameters and the JSON body they read, as
`openapi_extra`, so that the document tells clients (and the fuzz tests) what may be sent.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
OBJECT: Schema = {"type": "object"}


def strings(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(required: Collection[str] = (), **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def closed(schema: Schema) -> Schema:
    """`schema` for an object that may hold no other properties than it names."""
    return {**schema, "additionalProperties": False}


def at_least(least: int) -> Schema:
    return {"type": "integer", "minimum": least}


def documented(
    *,
    query: Mapping[str, Schema] | None = None,
    required: Collection[str] = (),
    body: Schema | None = None,
    body_required: bool = True,
) -> dict[str, Any]:
    """The `openapi_extra` of a route: its query parameters (those in `required` must be sent)
    and the JSON body it reads."""
    extra: dict[str, Any] = {}
    if query:
        extra["parameters"] = [
            {"name": name, "in": "query", "required": name in required, "schema": schema}
            for name, schema in query.items()
        ]
    if body is not None:
        extra["requestBody"] = {
            "required": body_required,
            "content": {"application/json": {"schema": body}},
        }
    return extra
