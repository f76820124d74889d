"""What the frontend API answers once a session exists: the session, its user, a short-lived JWT,
the session token, and the `__pxyz_session` cookie."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request

from sessiond.api.kit import over_https, services_of
from sessiond.api.pxyz import wire
from sessiond.api.pxyz.caller import SESSION_COOKIE
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import InvalidInput
from sessiond.domain.session import Session
from sessiond.domain.user import User
from sessiond.services.attempts import Related
from sessiond.services.issuing import IssuedSession
from sessiond.services.sign_in import SignInResult

SIGN_IN_JWT_TTL = timedelta(seconds=60)


def success(data: Any, *, status: int = 200, meta: Any = None) -> OrjsonResponse:
    body: dict[str, Any] = {"status": "success", "data": data}
    if meta is not None:
        body["meta"] = meta
    return OrjsonResponse(body, status_code=status)


def unsupported(field: str) -> InvalidInput:
    return InvalidInput(f"{field} is not supported by sessiond", field=field)


def session_user(session: Session, user: User) -> dict[str, Any]:
    return {**wire.user(user, admin=False), "sessionId": wire.pid(session.id)}


async def session_jwt(request: Request, session: Session, user: User, ttl: timedelta) -> str:
    claims = {
        "iss": "sessiond",
        "aud": wire.pid(session.tenant_id),
        "sub": wire.pid(user.id),
        "sid": wire.pid(session.id),
        "tid": wire.pid(session.tenant_id),
        "aal": session.aal.value,
    }
    return await services_of(request).signer.sign(session.tenant_id, claims, ttl=ttl)


async def issued_fields(
    request: Request, issued: IssuedSession, related: Related
) -> dict[str, Any]:
    record = issued.record
    return {
        "session": wire.session(record, related, admin=False),
        "sessionUser": session_user(record.session, record.user),
        "jwt": await session_jwt(request, record.session, record.user, SIGN_IN_JWT_TTL),
        "sessionToken": issued.token,
        "authorizeUri": None,
    }


async def signed_in(request: Request, result: SignInResult, *, status: int) -> OrjsonResponse:
    """The attempt; with the session, the token and the cookie when it completed."""
    attempt = result.attempt
    related = Related(sign_ins={attempt.id: attempt})
    if result.issued is not None:
        user = result.issued.record.user
        related = Related(sign_ins={attempt.id: attempt}, users={user.id: user})
    data: dict[str, Any] = {
        "signInAttempt": wire.sign_in_attempt(attempt, related, admin=False),
        "authorizeUri": None,
        "jwt": None,
        "session": None,
        "sessionUser": None,
    }
    if result.issued is None:
        return success(data, status=status)
    data.update(await issued_fields(request, result.issued, related))
    return with_cookie(request, success(data, status=status), result.issued)


def with_cookie(
    request: Request, response: OrjsonResponse, issued: IssuedSession
) -> OrjsonResponse:
    session = issued.record.session
    lifetime = session.expires_at - session.created_at
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=int(lifetime.total_seconds()),
        path="/",
        httponly=True,
        secure=over_https(request),
        samesite="lax",
    )
    return response
