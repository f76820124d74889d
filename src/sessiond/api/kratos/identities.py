"""The admin identity API, enough for the SDK's identity calls: create, list, get, patch, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.kit import json_body, json_object, services_of
from sessiond.api.kratos.caller import admin_tenant, path_id, view_of
from sessiond.api.kratos.errors import KratosError
from sessiond.api.kratos.pagination import (
    OFFSET_QUERY,
    offset_links,
    parse_offset,
    set_paging_headers,
)
from sessiond.api.kratos.patch import apply_patch
from sessiond.api.kratos.schema import check_schema_id, checked_traits, user_fields
from sessiond.api.kratos.wire import render_identity
from sessiond.api.openapi import OBJECT, STRING, array, documented, obj, strings
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import UserNotFound
from sessiond.domain.user import User, UserState
from sessiond.services.users import NewUser, ProfileChange

router = APIRouter()
ADMIN = "admin"
_STATES = {"active": UserState.ACTIVE, "inactive": UserState.SUSPENDED}


def _state(raw: object) -> UserState:
    if raw is None:
        return UserState.ACTIVE
    if not isinstance(raw, str) or raw not in _STATES:
        raise KratosError(400, reason="state must be active or inactive")
    return _STATES[raw]


def _metadata(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is not None and not isinstance(value, dict):
        raise KratosError(400, reason=f"{name} must be an object")
    return value


def _member(parent: dict[str, Any], name: str, path: str) -> dict[str, Any] | None:
    """`parent[name]` when it is an object, None when absent or null; 400 for anything else."""
    value = parent.get(name)
    if value is not None and not isinstance(value, dict):
        raise KratosError(400, reason=f"{path} must be an object")
    return value


def _password(body: dict[str, Any]) -> str | None:
    """`credentials.password.config.password`: None when no password credential is given."""
    credentials = _member(body, "credentials", "credentials")
    password = (
        None if credentials is None else _member(credentials, "password", "credentials.password")
    )
    if password is None:
        return None
    config = _member(password, "config", "credentials.password.config") or {}
    value = config.get("password")
    if not isinstance(value, str):
        raise KratosError(400, reason="credentials.password.config.password must be a string")
    return value


def new_user(body: dict[str, Any]) -> NewUser:
    check_schema_id(body.get("schema_id"))
    traits = checked_traits(body.get("traits"))
    return NewUser(
        **user_fields(traits),
        password=_password(body),
        traits=traits,
        metadata_public=_metadata(body, "metadata_public"),
        metadata_admin=_metadata(body, "metadata_admin"),
        state=_state(body.get("state")),
    )


IDENTITY = obj(
    ["traits"],
    schema_id=STRING,
    traits=obj(email=STRING, username=STRING, name=STRING),
    credentials=obj(password=obj(config=obj(password=STRING))),
    state=strings(*_STATES),
    metadata_public=OBJECT,
    metadata_admin=OBJECT,
)
JSON_PATCH = array(obj(["op", "path"], op=strings("add", "replace", "remove", "test"), path=STRING))


@router.post("/admin/identities", status_code=201, openapi_extra=documented(body=IDENTITY))
async def create_identity(request: Request) -> Response:
    tenant = await admin_tenant(request)
    new = new_user(await json_object(request))
    user = await services_of(request).users.create(tenant.id, new)
    return OrjsonResponse(render_identity(user, view_of(request, tenant, admin=True)), 201)


@router.get(
    "/admin/identities",
    openapi_extra=documented(
        query={"credentials_identifier": STRING, "ids": array(STRING)} | OFFSET_QUERY
    ),
)
async def list_identities(request: Request) -> Response:
    tenant = await admin_tenant(request)
    query = request.query_params
    identifier = query.get("credentials_identifier")
    ids = query.getlist("ids")
    users: list[User]
    if identifier or ids:
        users = await _picked(request, tenant.id, identifier, ids)
        total = len(users)
        paging = parse_offset(query)
    else:
        paging = parse_offset(query)
        users, total = await services_of(request).users.list_offset(
            tenant.id, offset=paging.offset, limit=paging.size
        )
    view = view_of(request, tenant, admin=True)
    response = OrjsonResponse([render_identity(u, view) for u in users])
    link = offset_links(request.url.path, query, paging, total)
    set_paging_headers(response, link=link, total=total)
    return response


async def _picked(
    request: Request, tenant_id: Any, identifier: str | None, ids: list[str]
) -> list[User]:
    found: list[User] = []
    users = services_of(request).users
    try:
        if identifier:
            found.append(await users.find(tenant_id, identifier))
        for raw in ids:
            found.append(await users.get(tenant_id, path_id(raw)))
    except UserNotFound:
        pass
    return found


@router.get("/admin/identities/{identity_id}")
async def get_identity(request: Request, identity_id: str) -> Response:
    tenant = await admin_tenant(request)
    user = await services_of(request).users.get(tenant.id, path_id(identity_id))
    return OrjsonResponse(render_identity(user, view_of(request, tenant, admin=True)))


@router.patch("/admin/identities/{identity_id}", openapi_extra=documented(body=JSON_PATCH))
async def patch_identity(request: Request, identity_id: str) -> Response:
    """Applies the JSON Patch to the identity as stored, under its lock, and saves traits,
    metadata and state together (or nothing, when any of them is invalid)."""
    tenant = await admin_tenant(request)
    user_id = path_id(identity_id)
    operations = await json_body(request)
    view = view_of(request, tenant, admin=True)

    def change(user: User) -> ProfileChange:
        patched = apply_patch(render_identity(user, view), operations)
        traits = checked_traits(patched.get("traits"))
        return ProfileChange(
            **user_fields(traits),
            traits=traits,
            metadata_public=_metadata(patched, "metadata_public"),
            metadata_admin=_metadata(patched, "metadata_admin"),
            state=_state(patched.get("state")),
        )

    updated = await services_of(request).users.patch_profile(tenant.id, user_id, change, by=ADMIN)
    return OrjsonResponse(render_identity(updated, view))


@router.delete("/admin/identities/{identity_id}", status_code=204)
async def delete_identity(request: Request, identity_id: str) -> Response:
    tenant = await admin_tenant(request)
    await services_of(request).users.delete(tenant.id, path_id(identity_id))
    return Response(status_code=204)
