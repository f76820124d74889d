"""Backend API: a tenant's users."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from sessiond.api.pxyz import wire
from sessiond.api.pxyz.caller import KeyCaller, secret_key_caller
from sessiond.api.pxyz.paging import created_at, envelope, parse_paging
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import InvalidInput
from sessiond.domain.ids import parse_id
from sessiond.domain.user import Email, User, UserState
from sessiond.services.owners import Owned
from sessiond.services.users import NewUser, UserChanges

router = APIRouter(prefix="/api/v0/auth/users")
CallerDep = Annotated[KeyCaller, Depends(secret_key_caller)]
PerPage = Annotated[str | None, Query(alias="perPage")]
Meta = dict[str, Any] | None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateUser(_Body):
    tenantId: str
    name: str | None = None
    email: str | None = None
    username: str | None = None
    password: str | None = Field(default=None, max_length=1024)
    roleId: str | None = None
    phone: str | None = None
    publicMeta: Meta = None
    privateMeta: Meta = None


class UpdateUser(_Body):
    name: str | None = None
    username: str | None = None
    imageUri: str | None = None
    roleId: str | None = None
    status: Literal["active", "inactive", "suspended"] | None = None
    publicMeta: Meta = None
    privateMeta: Meta = None


class ChangePassword(_Body):
    password: str = Field(min_length=6, max_length=255)
    endSessions: bool = False


@router.get("")
async def list_users(
    caller: CallerDep,
    tenant: Annotated[str, Query(alias="tenantId")],
    perPage: PerPage = None,
    cursor: str | None = None,
) -> OrjsonResponse:
    paging = parse_paging(perPage, cursor)
    page = await caller.services.users.list_page(caller.tenant(tenant), paging.request())
    return OrjsonResponse(envelope([wire.user(u) for u in page.items], page, paging, created_at))


@router.post("")
async def create_user(body: CreateUser, caller: CallerDep) -> OrjsonResponse:
    tenant_id = caller.tenant(body.tenantId)
    _unsupported(roleId=body.roleId, phone=body.phone)
    new = NewUser(
        username=body.username or None,
        password=body.password,
        emails=(Email(body.email),) if body.email else (),
        name=body.name or "",
        metadata_public=body.publicMeta,
        metadata_admin=body.privateMeta,
    )
    return _user(await caller.services.users.create(tenant_id, new))


@router.get("/{id}")
async def get_user(id: str, caller: CallerDep) -> OrjsonResponse:
    tenant_id, user_id = await _home(caller, id)
    user = await caller.services.users.get(tenant_id, user_id)
    return OrjsonResponse({"status": "success", "data": wire.user(user)})


@router.put("/{id}")
async def update_user(id: str, body: UpdateUser, caller: CallerDep) -> OrjsonResponse:
    tenant_id, user_id = await _home(caller, id)
    _unsupported(roleId=body.roleId, imageUri=body.imageUri)
    if body.status == "inactive":
        raise InvalidInput("status 'inactive' is not supported: suspend the user", field="status")
    changes = UserChanges(
        body.name,
        body.username,
        body.publicMeta,
        body.privateMeta,
        state=None if body.status is None else UserState(body.status),
    )
    return _user(await caller.services.users.update(tenant_id, user_id, changes, by=caller.label))


@router.delete("/{id}")
async def delete_user(id: str, caller: CallerDep) -> OrjsonResponse:
    """Deletes the user; its sessions go with it, so none of their tokens works again."""
    tenant_id, user_id = await _home(caller, id)
    await caller.services.users.delete(tenant_id, user_id)
    return OrjsonResponse({"id": wire.pid(user_id)})


@router.put("/{id}/change-password")
async def change_password(id: str, body: ChangePassword, caller: CallerDep) -> OrjsonResponse:
    """`endSessions` (a sessiond extension) also ends every session of the user."""
    tenant_id, user_id = await _home(caller, id)
    user = await caller.services.users.change_password(
        tenant_id, user_id, body.password, end_sessions=body.endSessions, by=caller.label
    )
    return _user(user)


@router.put("/{id}/suspend")
async def suspend(id: str, caller: CallerDep) -> OrjsonResponse:
    """Suspends the user and ends every session it has."""
    tenant_id, user_id = await _home(caller, id)
    users = caller.services.users
    return _user(await users.set_state(tenant_id, user_id, UserState.SUSPENDED, by=caller.label))


@router.put("/{id}/unsuspend")
async def unsuspend(id: str, caller: CallerDep) -> OrjsonResponse:
    tenant_id, user_id = await _home(caller, id)
    users = caller.services.users
    return _user(await users.set_state(tenant_id, user_id, UserState.ACTIVE, by=caller.label))


async def _home(caller: KeyCaller, text: str) -> tuple[uuid.UUID, uuid.UUID]:
    user_id = parse_id(text)
    return await caller.home_of(Owned.USER, user_id), user_id


def _user(user: User) -> OrjsonResponse:
    return OrjsonResponse(wire.user(user))


def _unsupported(**fields: str | None) -> None:
    for name, value in fields.items():
        if value:
            raise InvalidInput(f"{name} is not supported by sessiond", field=name)
