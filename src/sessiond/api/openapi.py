"""What a door's OpenAPI document says beyond what FastAPI sees in its routes.

The Kratos and Rocket.Chat endpoints take the plain `Request` and parse it the way the product
they copy does (and the fast lane calls them without FastAPI), so FastAPI sees no parameters in
them. `documented` gives their route the query parameters and the JSON body they read, as
`openapi_extra`, so that the document tells clients (and the fuzz tests) what may be sent.
`with_errors` says what every error answer of a door looks like: its own error body, where
FastAPI would claim a 422 in its own shape, which no door answers.
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


def json_response(description: str, schema: Schema) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def with_errors(document: dict[str, Any], error: Schema) -> dict[str, Any]:
    """`document` (FastAPI's, changed in place) with `error` as every operation's `default`
    answer, where the route did not name one itself, and without FastAPI's 422."""
    for item in document.get("paths", {}).values():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses.setdefault("default", json_response("An error", error))
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    return document


def documented(
    *,
    query: Mapping[str, Schema] | None = None,
    required: Collection[str] = (),
    body: Schema | None = None,
    responses: dict[str, Schema] | None = None,
) -> dict[str, Any]:
    """The `openapi_extra` of a route: its query parameters (those in `required` must be sent),
    the JSON body it reads and the answers it gives besides the door's errors."""
    extra: dict[str, Any] = {}
    if responses:
        extra["responses"] = responses
    if query:
        extra["parameters"] = [
            {"name": name, "in": "query", "required": name in required, "schema": schema}
            for name, schema in query.items()
        ]
    if body is not None:
        extra["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return extra
