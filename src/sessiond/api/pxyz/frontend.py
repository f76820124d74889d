"""Frontend API (`x-public-key`): sign in and up, and the signed-in user's own sessions."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from sessiond.api.kit import client_of, counted_sign_in, services_of
from sessiond.api.pxyz import wire
from sessiond.api.pxyz.caller import SESSION_COOKIE, current_session, public_tenant
from sessiond.api.pxyz.paging import envelope, parse_paging, session_created_at
from sessiond.api.pxyz.signed_in import (
    issued_fields,
    session_jwt,
    session_user,
    signed_in,
    success,
    unsupported,
    with_cookie,
)
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.attempts import Strategy
from sessiond.domain.errors import InvalidInput
from sessiond.domain.ids import parse_id
from sessiond.domain.listing import SessionQuery
from sessiond.domain.session import EndReason
from sessiond.domain.user import Email
from sessiond.services.attempts import Related
from sessiond.services.sessions import Authenticated
from sessiond.services.users import NewUser

router = APIRouter(prefix="/api")
Session = Annotated[Authenticated, Depends(current_session)]
PasswordStrategy = Literal["email_password", "username_password"]
DEFAULT_JWT_TTL = 60


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateSignIn(_Body):
    strategy: PasswordStrategy
    identifier: str = Field(max_length=320)
    password: str | None = Field(default=None, max_length=1024, repr=False)
    tenantId: str | None = None
    redirectUri: str | None = None


class FirstFactor(_Body):
    strategy: PasswordStrategy | None = None
    password: str | None = Field(default=None, max_length=1024, repr=False)
    code: str | None = Field(default=None, max_length=64, repr=False)


class SecondFactor(_Body):
    strategy: Literal["authenticator_code"] = "authenticator_code"
    code: str = Field(max_length=64, repr=False)


class CreateSignUp(_Body):
    strategy: PasswordStrategy
    password: str = Field(max_length=1024, repr=False)
    email: str | None = Field(default=None, max_length=320)
    username: str | None = Field(default=None, max_length=128)
    name: str | None = Field(default=None, max_length=200)
    tenantId: str | None = None
    redirectUri: str | None = None


class TokenRequest(_Body):
    orgId: str | None = None
    ttl: int | None = Field(default=None, ge=1, le=3600)


@router.post("/sign-ins", status_code=201)
async def create_sign_in(body: CreateSignIn, request: Request) -> OrjsonResponse:
    """With a password, signs in at once; without, starts an attempt for `attempt-first-factor`."""
    tenant = await public_tenant(request, named=body.tenantId)
    signing_in = services_of(request).staged.sign_in(
        tenant.id,
        identifier=body.identifier,
        strategy=Strategy(body.strategy),
        password=body.password,
        client=client_of(request),
    )
    result = await counted_sign_in(request, signing_in)
    return await signed_in(request, result, status=201)


@router.post("/sign-ins/{id}/prepare-first-factor")
async def prepare_first_factor(id: str, request: Request) -> OrjsonResponse:
    """Passwords need no preparation (no code to send): answers the attempt as it is."""
    return await get_sign_in(id, request)


@router.post("/sign-ins/{id}/attempt-first-factor")
async def attempt_first_factor(id: str, body: FirstFactor, request: Request) -> OrjsonResponse:
    if body.password is None:
        raise InvalidInput("the password is required", field="password")
    tenant = await public_tenant(request)
    signing_in = services_of(request).staged.attempt_password(
        tenant.id,
        parse_id(id),
        password=body.password,
        client=client_of(request),
        strategy=None if body.strategy is None else Strategy(body.strategy),
    )
    result = await counted_sign_in(request, signing_in)
    return await signed_in(request, result, status=200)


@router.get("/sign-ins/{id}")
async def get_sign_in(id: str, request: Request) -> OrjsonResponse:
    tenant = await public_tenant(request)
    attempt, related = await services_of(request).attempts.get_sign_in(tenant.id, parse_id(id))
    return success({"signInAttempt": wire.sign_in_attempt(attempt, related, admin=False)})


@router.post("/sign-ins/{id}/attempt-second-factor")
async def attempt_second_factor(id: str, body: SecondFactor, request: Request) -> OrjsonResponse:
    tenant = await public_tenant(request)
    signing_in = services_of(request).sign_ins.second_factor(
        tenant.id,
        parse_id(id),
        code=body.code,
        client=client_of(request),
    )
    result = await counted_sign_in(request, signing_in)
    return await signed_in(request, result, status=200)


@router.post("/sign-ups", status_code=201)
async def create_sign_up(body: CreateSignUp, request: Request) -> OrjsonResponse:
    tenant = await public_tenant(request, named=body.tenantId)
    new = NewUser(
        username=body.username or None,
        password=body.password,
        emails=(Email(body.email),) if body.email else (),
        name=body.name or "",
    )
    result = await services_of(request).sign_ups.sign_up_password(
        tenant.id,
        new,
        client=client_of(request),
        strategy=Strategy(body.strategy),
    )
    related = Related(
        sign_ups={result.attempt.id: result.attempt}, users={result.user.id: result.user}
    )
    data = {"signUpAttempt": wire.sign_up_attempt(result.attempt, related, admin=False)}
    data.update(await issued_fields(request, result.issued, related))
    return with_cookie(request, success(data, status=201), result.issued)


@router.get("/user/sessions")
async def my_sessions(
    current: Session, request: Request, perPage: str | None = None, cursor: str | None = None
) -> OrjsonResponse:
    """The caller's live sessions, newest first, each marked `current` or not."""
    services = services_of(request)
    mine = current.record.session
    paging = parse_paging(perPage, cursor)
    query = SessionQuery(tenant_id=mine.tenant_id, user_id=mine.user_id)
    page = await services.sessions.list_keyset(
        query, size=paging.per_page, token=paging.token, start_after=paging.start_after
    )
    related = await services.attempts.behind_sessions(mine.tenant_id, page.items)
    data = [
        {**wire.session(r, related, admin=False), "current": r.session.id == mine.id}
        for r in page.items
    ]
    return OrjsonResponse(envelope(data, page, paging, session_created_at))


@router.delete("/user/sessions/end")
async def end_my_session(current: Session, request: Request) -> OrjsonResponse:
    mine = current.record.session
    await services_of(request).sessions.end(
        mine.tenant_id, mine.id, reason=EndReason.SIGNED_OUT, by="pxyz:user"
    )
    record = await services_of(request).sessions.get(mine.tenant_id, mine.id)
    related = await services_of(request).attempts.behind_sessions(mine.tenant_id, [record])
    response = success({"session": wire.session(record, related, admin=False)})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/user/sessions/token")
async def session_token(
    current: Session, request: Request, body: TokenRequest | None = None
) -> OrjsonResponse:
    if body is not None and body.orgId:
        raise unsupported("orgId")
    ttl = timedelta(seconds=body.ttl if body is not None and body.ttl else DEFAULT_JWT_TTL)
    session, user = current.record.session, current.record.user
    jwt = await session_jwt(request, session, user, ttl)
    return success({"jwt": jwt, "sessionUser": session_user(session, user)})
