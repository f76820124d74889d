"""Login and registration flows: a sign-in or sign-up attempt kept open until it completes.

A flow is opened first and submitted later (Kratos's self-service flows). Until then it is an
attempt in its first status (`needs_identifier`, `missing_requirements`) that expires after a
lifespan. A login flow asking for AAL2 names the session it will step up.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sessiond.domain.attempts import SignInAttempt, SignInStatus, SignUpAttempt, SignUpStatus
from sessiond.domain.errors import AttemptExpired, AttemptNotFound
from sessiond.domain.session import AAL, AuthMethod, Session
from sessiond.domain.user import User

FLOW_LIFESPAN = timedelta(hours=1)
_AAL_RANK = {AAL.AAL0: 0, AAL.AAL1: 1, AAL.AAL2: 2, AAL.AAL3: 3}


def flow_expires_at(created_at: datetime) -> datetime:
    return created_at + FLOW_LIFESPAN


def check_open_login(flow: SignInAttempt | None, *, now: datetime) -> SignInAttempt:
    if flow is None or flow.status is not SignInStatus.NEEDS_IDENTIFIER:
        raise AttemptNotFound("no login flow with that id is open")
    if now >= flow_expires_at(flow.created_at):
        raise AttemptExpired("the login flow has expired: start a new one")
    return flow


def check_open_registration(flow: SignUpAttempt | None, *, now: datetime) -> SignUpAttempt:
    if flow is None or flow.status is not SignUpStatus.MISSING_REQUIREMENTS:
        raise AttemptNotFound("no registration flow with that id is open")
    if now >= flow_expires_at(flow.created_at):
        raise AttemptExpired("the registration flow has expired: start a new one")
    return flow


def aal_below(level: AAL, required: AAL) -> bool:
    return _AAL_RANK[level] < _AAL_RANK[required]


def required_aal(user: User) -> AAL:
    """The level a session of this user must reach: AAL2 once a second factor is set up."""
    return AAL.AAL2 if user.has_second_factor else AAL.AAL1


def stepped_up(session: Session, *, method: str, now: datetime) -> Session:
    """The session after a second factor proved `method`: AAL2, the method added."""
    methods = (*session.methods, AuthMethod(method, AAL.AAL2, now))
    return replace(session, aal=AAL.AAL2, methods=methods, updated_at=now)
