"""The one identity schema this door serves (`default`: email and/or username), its endpoints,
and the translation of traits into the core's user fields."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kratos.errors import KratosError
from sessiond.api.kratos.wire import SCHEMA_ID, SCHEMA_PATH_ID
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.user import Email

_IDENTIFIER = {"credentials": {"password": {"identifier": True}}}
IDENTITY_SCHEMA: dict[str, Any] = {
    "$id": "https://sessiond.invalid/schemas/default.schema.json",
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Person",
    "type": "object",
    "properties": {
        "traits": {
            "type": "object",
            "properties": {
                "email": {
                    "type": "string",
                    "format": "email",
                    "title": "E-Mail",
                    "maxLength": 320,
                    "ory.sh/kratos": {
                        **_IDENTIFIER,
                        "verification": {"via": "email"},
                        "recovery": {"via": "email"},
                    },
                },
                "username": {
                    "type": "string",
                    "title": "Username",
                    "minLength": 1,
                    "maxLength": 128,
                    "ory.sh/kratos": _IDENTIFIER,
                },
                "name": {"type": "string", "title": "Name", "maxLength": 200},
            },
            "anyOf": [{"required": ["email"]}, {"required": ["username"]}],
            "additionalProperties": False,
        }
    },
}
_TRAIT_LIMITS = {"email": 320, "username": 128, "name": 200}

router = APIRouter()


def check_schema_id(schema_id: object) -> None:
    if schema_id not in (None, SCHEMA_ID):
        raise KratosError(400, reason=f"identity schema {str(schema_id)[:64]!r} does not exist")


def checked_traits(traits: object) -> dict[str, Any]:
    """Traits valid under IDENTITY_SCHEMA; the core checks the email and username forms."""
    if not isinstance(traits, dict):
        raise KratosError(400, reason="traits must be an object")
    for name, value in traits.items():
        if name not in _TRAIT_LIMITS:
            raise KratosError(400, reason=f"traits: additional property {str(name)[:64]!r}")
        if not isinstance(value, str) or not 0 < len(value) <= _TRAIT_LIMITS[name]:
            limit = _TRAIT_LIMITS[name]
            raise KratosError(400, reason=f"traits/{name} must be a string of 1-{limit} chars")
    if "email" not in traits and "username" not in traits:
        raise KratosError(400, reason="traits need an email or a username")
    return traits


def user_fields(traits: dict[str, Any]) -> dict[str, Any]:
    """The core's username, emails and name for these (checked) traits."""
    email = traits.get("email")
    return {
        "username": traits.get("username"),
        "emails": (Email(email),) if email else (),
        "name": traits.get("name", ""),
    }


@router.get("/schemas")
async def list_schemas(request: Request) -> Response:
    return OrjsonResponse([{"id": SCHEMA_ID, "schema": IDENTITY_SCHEMA}])


@router.get("/schemas/{schema_id}")
async def get_schema(request: Request, schema_id: str) -> Response:
    if schema_id not in (SCHEMA_PATH_ID, SCHEMA_ID):
        raise KratosError(404)
    return OrjsonResponse(IDENTITY_SCHEMA)
