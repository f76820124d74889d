"""Accounts: login (password, or its SHA-256 digest, and a TOTP code), logout, me, server info,
and users.create."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request

from sessiond.api.kit import client_of, counted_sign_in, served_tenant, services_of
from sessiond.api.openapi import BOOLEAN, STRING, array, closed, documented, obj, strings
from sessiond.api.responses import OrjsonResponse
from sessiond.api.rocketchat.caller import (
    body_fields,
    caller_of,
    json_body,
    optional_text,
    require_permission,
    text_field,
    two_factor_of,
)
from sessiond.api.rocketchat.errors import (
    invalid_params,
    login_failed,
    login_second_factor_refused,
)
from sessiond.api.rocketchat.render import user_document
from sessiond.domain.attempts import SignInStatus, password_strategy
from sessiond.domain.errors import AuthenticationFailed
from sessiond.domain.permissions import Permission
from sessiond.domain.session import EndReason
from sessiond.domain.two_factor import SecondFactorRefused
from sessiond.domain.user import Email
from sessiond.services.sign_in import PasswordForm, PasswordSignIn, SignInResult
from sessiond.services.users import NewUser

# The Rocket.Chat REST API version this door speaks (device management arrived in 5.0).
ROCKETCHAT_VERSION = "6.5.0"
LOGIN_FIELDS = frozenset({"user", "username", "email", "password", "code"})
CREATE_FIELDS = frozenset({"email", "name", "password", "username", "roles", "verified"})
MAX_ROLES = 16
MAX_ROLE_LENGTH = 64

router = APIRouter()


@router.get("/api/info")
async def server_info() -> OrjsonResponse:
    return OrjsonResponse({"version": ROCKETCHAT_VERSION, "success": True})


DIGEST = closed(obj(["digest", "algorithm"], digest=STRING, algorithm=strings("sha-256")))
LOGIN = {
    **closed(
        obj(
            ["password"],
            user=STRING,
            username=STRING,
            email=STRING,
            password={"oneOf": [STRING, DIGEST]},
            code=STRING,
        )
    ),
    "anyOf": [{"required": [name]} for name in ("user", "username", "email")],
}
NEW_USER = closed(
    obj(
        ["email", "name", "password", "username"],
        email=STRING,
        name=STRING,
        password=STRING,
        username=STRING,
        roles=array(STRING),
        verified=BOOLEAN,
    )
)


@router.post("/api/v1/login", openapi_extra=documented(body=LOGIN))
async def login(request: Request) -> OrjsonResponse:
    body = await json_body(request)
    body_fields(body, allowed=LOGIN_FIELDS)
    identifier = _login_identifier(body)
    password, password_form = _login_password(body.get("password"))
    code = optional_text(body, "code") or request.headers.get("x-2fa-code")
    tenant = await served_tenant(request)
    signing_in = PasswordSignIn(
        tenant.id,
        identifier=identifier,
        password=password,
        client=client_of(request),
        strategy=password_strategy(identifier),
        password_form=password_form,
    )
    try:
        result = await counted_sign_in(request, _sign_in(request, signing_in, code))
    except SecondFactorRefused as refused:
        raise login_second_factor_refused(refused) from refused
    except AuthenticationFailed as exc:
        raise login_failed() from exc
    if result.issued is None:
        raise login_failed()
    user = result.issued.record.user
    methods = await two_factor_of(request).methods_of(user)
    data = {
        "userId": user.id.hex,
        "authToken": result.issued.token,
        "me": user_document(user, methods=methods),
    }
    return OrjsonResponse({"status": "success", "data": data})


async def _sign_in(request: Request, signing_in: PasswordSignIn, code: str | None) -> SignInResult:
    """One login: the password, then the code when the user has a second factor."""
    result = await services_of(request).sign_ins.password(signing_in)
    if result.attempt.status is SignInStatus.NEEDS_FACTOR_TWO:
        client = signing_in.client
        result = await two_factor_of(request).complete_sign_in(result, code, client=client)
    return result


@router.post("/api/v1/logout")
async def logout(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    await services_of(request).sessions.end(
        caller.tenant.id,
        caller.auth.record.session.id,
        reason=EndReason.SIGNED_OUT,
        by=caller.user.id.hex,
    )
    return OrjsonResponse({"status": "success", "data": {"message": "You've been logged out!"}})


@router.get("/api/v1/me")
async def me(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    if request.scope["query_string"] and request.query_params:  # parsed only when sent
        raise invalid_params()
    methods = await two_factor_of(request).methods_of(caller.user)
    return OrjsonResponse({**user_document(caller.user, methods=methods), "success": True})


@router.post("/api/v1/users.create", openapi_extra=documented(body=NEW_USER))
async def users_create(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    body = await json_body(request)
    body_fields(body, allowed=CREATE_FIELDS)
    require_permission(caller, Permission.CREATE_USER)
    verified = body.get("verified", False)
    if not isinstance(verified, bool):
        raise invalid_params("must have property 'verified' as a boolean")
    new = NewUser(
        username=text_field(body, "username"),
        password=text_field(body, "password"),
        emails=(Email(text_field(body, "email"), verified=verified),),
        name=text_field(body, "name"),
        roles=_roles(body.get("roles", ["user"])),
    )
    user = await services_of(request).users.create(caller.tenant.id, new)
    return OrjsonResponse({"user": user_document(user), "success": True})


def _login_identifier(body: dict[str, Any]) -> str:
    for name in ("user", "username", "email"):
        value = body.get(name)
        if isinstance(value, str) and value.strip():
            return value
    raise invalid_params("must have required property 'user'")


def _login_password(value: object) -> tuple[str, PasswordForm]:
    """A plain password, or `{"digest": sha256hex, "algorithm": "sha-256"}`."""
    if isinstance(value, str) and value:
        return value, PasswordForm.PLAIN
    if (
        isinstance(value, dict)
        and set(value) == {"digest", "algorithm"}
        and value["algorithm"] == "sha-256"
        and isinstance(value["digest"], str)
    ):
        return value["digest"], PasswordForm.SHA256_HEX
    raise invalid_params("must have required property 'password'")


def _roles(value: object) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= MAX_ROLES
        or not all(isinstance(r, str) and 0 < len(r) <= MAX_ROLE_LENGTH for r in value)
    ):
        raise invalid_params("must have property 'roles' as a list of role names")
    return tuple(dict.fromkeys(value))
