"""TOTP and email second factor set-up, the way Rocket.Chat's own clients call it: Meteor methods
over REST (`method.call/<name>` with a DDP message as a JSON string) and `users.2fa.*`."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.background import BackgroundTask
from starlette.requests import Request

from sessiond.api.kit import SessionCaller, parse_json, served_tenant
from sessiond.api.openapi import STRING, closed, documented, obj
from sessiond.api.responses import OrjsonResponse
from sessiond.api.rocketchat.caller import (
    body_fields,
    caller_of,
    enrolment_of,
    json_body,
    require_second_factor,
    text_field,
    two_factor_of,
)
from sessiond.api.rocketchat.errors import invalid_params
from sessiond.domain.errors import Conflict, SecondFactorFailed

router = APIRouter(prefix="/api/v1")
Handler = Callable[[Request, SessionCaller, list[Any]], Awaitable[Any]]


class MethodError(Exception):
    def __init__(self, error: str, reason: str) -> None:
        super().__init__(reason)
        self.error = error
        self.reason = reason


async def _enable(request: Request, caller: SessionCaller, params: list[Any]) -> Any:
    try:
        pending = await enrolment_of(request).begin(
            caller.tenant.id, caller.user.id, issuer=caller.tenant.name
        )
    except Conflict as exc:
        raise MethodError("error-2fa-already-enabled", "Two-factor already enabled") from exc
    return {"secret": pending.secret, "url": pending.url}


async def _validate(request: Request, caller: SessionCaller, params: list[Any]) -> Any:
    code = _code(params)
    try:
        codes = await enrolment_of(request).confirm(caller.tenant.id, caller.user.id, code)
    except (Conflict, SecondFactorFailed) as exc:
        raise _refused(exc) from exc
    return {"codes": codes}


async def _disable(request: Request, caller: SessionCaller, params: list[Any]) -> Any:
    try:
        await enrolment_of(request).disable(caller.tenant.id, caller.user.id, _code(params))
    except SecondFactorFailed as exc:
        if exc.exhausted:
            raise _refused(exc) from exc
        return False
    except Conflict:
        return False
    return True


async def _regenerate(request: Request, caller: SessionCaller, params: list[Any]) -> Any:
    code = _code(params)
    try:
        codes = await enrolment_of(request).regenerate_codes(caller.tenant.id, caller.user.id, code)
    except (Conflict, SecondFactorFailed) as exc:
        raise _refused(exc) from exc
    return {"codes": codes}


METHODS: dict[str, Handler] = {
    "2fa:enable": _enable,
    "2fa:validateTempToken": _validate,
    "2fa:disable": _disable,
    "2fa:regenerateCodes": _regenerate,
}


@router.post(
    "/method.call/{method}", openapi_extra=documented(body=closed(obj(["message"], message=STRING)))
)
async def method_call(request: Request, method: str) -> OrjsonResponse:
    caller = await caller_of(request)
    message = _ddp_message(await json_body(request))
    call_id = message.get("id", "")
    params = message.get("params", [])
    if not isinstance(call_id, str) or not isinstance(params, list):
        raise invalid_params("the DDP message needs a string id and a list of params")
    handler = METHODS.get(method)
    try:
        if handler is None:
            raise MethodError("404", f"Method '{method[:64]}' not found")
        answer: dict[str, Any] = {
            "msg": "result",
            "id": call_id,
            "result": await handler(request, caller, params),
        }
    except MethodError as exc:
        answer = {"msg": "result", "id": call_id, "error": _ddp_error(exc)}
    return OrjsonResponse({"message": json.dumps(answer), "success": True})


@router.post("/users.2fa.enableEmail")
async def enable_email(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    await two_factor_of(request).set_email(caller.tenant.id, caller.user.id, enabled=True)
    return OrjsonResponse({"success": True})


@router.post("/users.2fa.disableEmail")
async def disable_email(request: Request) -> OrjsonResponse:
    caller = await caller_of(request)
    await require_second_factor(request, caller)
    await two_factor_of(request).set_email(caller.tenant.id, caller.user.id, enabled=False)
    return OrjsonResponse({"success": True})


@router.post(
    "/users.2fa.sendEmailCode",
    openapi_extra=documented(body=closed(obj(["emailOrUsername"], emailOrUsername=STRING))),
)
async def send_email_code(request: Request) -> OrjsonResponse:
    body = await json_body(request)
    body_fields(body, allowed=frozenset({"emailOrUsername"}))
    who = text_field(body, "emailOrUsername")
    tenant = await served_tenant(request)
    # The lookup and the mail run after the answer went out: the same answer, as fast, whether
    # or not the account exists and has the email method.
    work = BackgroundTask(two_factor_of(request).send_email_code, tenant.id, who[:320])
    return OrjsonResponse({"success": True}, background=work)


def _ddp_message(body: dict[str, Any]) -> dict[str, Any]:
    body_fields(body, allowed=frozenset({"message"}))
    raw = text_field(body, "message")
    try:
        message = parse_json(raw)
    except ValueError as exc:
        raise invalid_params("the message must be a JSON string") from exc
    if not isinstance(message, dict) or message.get("msg") != "method":
        raise invalid_params("the message must be a DDP method call")
    return message


def _refused(exc: Conflict | SecondFactorFailed) -> MethodError:
    if isinstance(exc, SecondFactorFailed) and exc.exhausted:
        return MethodError("totp-max-attempts", "TOTP Maximun Failed Attempts Reached")
    return MethodError("invalid-totp", "Invalid two-factor code")


def _code(params: list[Any]) -> str:
    if not params or not isinstance(params[0], str) or not params[0]:
        raise MethodError("invalid-params", "A code is required")
    return params[0]


def _ddp_error(exc: MethodError) -> dict[str, Any]:
    return {
        "isClientSafe": True,
        "error": exc.error,
        "reason": exc.reason,
        "message": f"{exc.reason} [{exc.error}]",
        "errorType": "Meteor.Error",
    }
