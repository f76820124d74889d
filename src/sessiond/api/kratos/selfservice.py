"""Native (API) login and registration flows for the password method, and the TOTP step-up."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from sessiond.api.errors import retry_after
from sessiond.api.kit import (
    client_of,
    counted_sign_in,
    json_object,
    served_tenant,
    services_of,
)
from sessiond.api.kratos.caller import TOKEN_FORMAT, base_url, path_id, session_token, view_of
from sessiond.api.kratos.errors import ERROR_SCHEMA, KratosError, no_session
from sessiond.api.kratos.flows_wire import (
    ACCOUNT_DISABLED,
    DUPLICATE,
    INVALID_CODE,
    INVALID_CREDENTIALS,
    INVALID_FIELD,
    TOO_MANY_ATTEMPTS,
    error_message,
    render_login_flow,
    render_registration_flow,
)
from sessiond.api.kratos.identities import new_user
from sessiond.api.kratos.wire import render_identity, render_session
from sessiond.api.openapi import (
    BOOLEAN,
    OBJECT,
    STRING,
    documented,
    json_response,
    obj,
    strings,
)
from sessiond.api.responses import OrjsonResponse
from sessiond.domain.errors import (
    AuthenticationFailed,
    Conflict,
    InvalidInput,
    SecondFactorFailed,
    TooManyGuesses,
    UserSuspended,
)
from sessiond.domain.session import AAL
from sessiond.domain.tenant import Tenant

router = APIRouter()
FLOW_ID = documented(query={"id": STRING}, required=["id"])
# A refused submission is answered with the flow again (see _login_flow_refused), any other
# failure with the door's error body.
FLOW_OR_ERROR = json_response(
    "The flow with a message saying why, or an error",
    {"anyOf": [obj(["id", "type", "ui"], id=STRING, type=STRING, ui=OBJECT), ERROR_SCHEMA]},
)


def _flow_id(request: Request, name: str) -> uuid.UUID:
    raw = request.query_params.get(name)
    if not raw:
        raise KratosError(400, reason=f"the {name} query parameter is missing")
    return path_id(raw)


def _aal(request: Request) -> AAL:
    raw = request.query_params.get("aal") or "aal1"
    try:
        return AAL(raw)
    except ValueError:
        raise KratosError(400, reason="aal must be aal1 or aal2") from None


def _text(body: dict[str, Any], *names: str) -> str:
    for name in names:
        value = body.get(name)
        if isinstance(value, str) and value:
            return value
    raise KratosError(400, reason=f"{names[0]} is required")


@router.get(
    "/self-service/login/api",
    openapi_extra=documented(query={"refresh": BOOLEAN, "aal": strings("aal1", "aal2")}),
)
async def create_native_login_flow(request: Request) -> Response:
    tenant = await served_tenant(request)
    flow = await services_of(request).flows.start_login(
        tenant.id,
        aal=_aal(request),
        session_token=session_token(request),
        client=client_of(request),
        refresh=request.query_params.get("refresh") == "true",
    )
    return OrjsonResponse(render_login_flow(flow, base_url=base_url(request)))


@router.get("/self-service/login/flows", openapi_extra=FLOW_ID)
async def get_login_flow(request: Request) -> Response:
    tenant = await served_tenant(request)
    flow = await services_of(request).flows.login_flow(tenant.id, _flow_id(request, "id"))
    return OrjsonResponse(render_login_flow(flow, base_url=base_url(request)))


@router.post(
    "/self-service/login",
    openapi_extra=documented(
        query={"flow": STRING},
        required=["flow"],
        body=obj(
            ["method"],
            method=strings("password", "totp", "lookup_secret"),
            identifier=STRING,
            password=STRING,
            totp_code=STRING,
            lookup_secret=STRING,
        ),
        responses={"400": FLOW_OR_ERROR, "429": FLOW_OR_ERROR},
    ),
)
async def update_login_flow(request: Request) -> Response:
    tenant = await served_tenant(request)
    flow_id = _flow_id(request, "flow")
    body = await json_object(request)
    method = body.get("method")
    if method == "password":
        return await _password_login(request, tenant, flow_id, body)
    if method in ("totp", "lookup_secret"):
        return await _step_up(request, tenant, flow_id, str(method), body)
    raise KratosError(400, reason="method must be password, totp or lookup_secret")


async def _password_login(
    request: Request, tenant: Tenant, flow_id: uuid.UUID, body: dict[str, Any]
) -> Response:
    signing_in = services_of(request).flows.sign_in_password(
        tenant.id,
        flow_id,
        identifier=_text(body, "identifier", "password_identifier"),
        password=_text(body, "password"),
        client=client_of(request),
        token_format=TOKEN_FORMAT,
    )
    try:
        issued = await counted_sign_in(request, signing_in)
    except AuthenticationFailed as exc:
        entry = ACCOUNT_DISABLED if isinstance(exc, UserSuspended) else INVALID_CREDENTIALS
        return await _login_flow_refused(request, tenant, flow_id, error_message(entry))
    except TooManyGuesses as exc:
        message = error_message(TOO_MANY_ATTEMPTS, str(exc.retry_after))
        message["context"] = {"retry_after_seconds": exc.retry_after}
        return await _login_flow_refused(
            request, tenant, flow_id, message, status=429, headers=retry_after(exc)
        )
    session = render_session(issued.record, view_of(request, tenant, admin=False))
    return OrjsonResponse({"session_token": issued.token, "session": session})


async def _step_up(
    request: Request, tenant: Tenant, flow_id: uuid.UUID, method: str, body: dict[str, Any]
) -> Response:
    token = session_token(request)
    if token is None:
        raise no_session()
    code = _text(body, "totp_code" if method == "totp" else "lookup_secret")
    stepping_up = services_of(request).flows.step_up(
        tenant.id, flow_id, session_token=token, method=method, code=code
    )
    try:
        record = await counted_sign_in(request, stepping_up)
    except SecondFactorFailed as exc:
        if exc.exhausted:
            raise KratosError(400, reason=exc.message) from None
        return await _login_flow_refused(request, tenant, flow_id, error_message(INVALID_CODE))
    session = render_session(record, view_of(request, tenant, admin=False))
    return OrjsonResponse({"session_token": token, "session": session})


async def _login_flow_refused(
    request: Request,
    tenant: Tenant,
    flow_id: uuid.UUID,
    message: dict[str, Any],
    *,
    status: int = 400,
    headers: dict[str, str] | None = None,
) -> Response:
    """Kratos answers a refused submission with the flow again (400), carrying the message; a
    throttled one the same way with 429 and Retry-After, as Ory's rate limits answer."""
    flow = await services_of(request).flows.login_flow(tenant.id, flow_id)
    rendered = render_login_flow(flow, base_url=base_url(request), messages=[message])
    return OrjsonResponse(rendered, status, headers=headers)


@router.get("/self-service/registration/api")
async def create_native_registration_flow(request: Request) -> Response:
    tenant = await served_tenant(request)
    flow = await services_of(request).flows.start_registration(tenant.id, client=client_of(request))
    return OrjsonResponse(render_registration_flow(flow, base_url=base_url(request)))


@router.get("/self-service/registration/flows", openapi_extra=FLOW_ID)
async def get_registration_flow(request: Request) -> Response:
    tenant = await served_tenant(request)
    flow = await services_of(request).flows.registration_flow(tenant.id, _flow_id(request, "id"))
    return OrjsonResponse(render_registration_flow(flow, base_url=base_url(request)))


@router.post(
    "/self-service/registration",
    openapi_extra=documented(
        query={"flow": STRING},
        required=["flow"],
        body=obj(
            ["method", "password", "traits"],
            method=strings("password"),
            password=STRING,
            traits=obj(email=STRING, username=STRING, name=STRING),
        ),
        responses={"400": FLOW_OR_ERROR},
    ),
)
async def update_registration_flow(request: Request) -> Response:
    tenant = await served_tenant(request)
    flow_id = _flow_id(request, "flow")
    body = await json_object(request)
    if body.get("method") != "password":
        raise KratosError(400, reason="method must be password")
    flows = services_of(request).flows
    flow = await flows.registration_flow(tenant.id, flow_id)
    try:
        new = new_user({"traits": body.get("traits"), "credentials": _credentials(body)})
        result = await flows.sign_up_password(
            tenant.id, flow_id, new, client=client_of(request), token_format=TOKEN_FORMAT
        )
    except (KratosError, InvalidInput, Conflict) as exc:
        entry = DUPLICATE if isinstance(exc, Conflict) else INVALID_FIELD
        detail = exc.reason or "" if isinstance(exc, KratosError) else exc.message
        messages = [error_message(entry, detail)]
        rendered = render_registration_flow(flow, base_url=base_url(request), messages=messages)
        return OrjsonResponse(rendered, 400)
    view = view_of(request, tenant, admin=False)
    return OrjsonResponse(
        {
            "identity": render_identity(result.user, view),
            "session": render_session(result.issued.record, view),
            "session_token": result.issued.token,
        }
    )


def _credentials(body: dict[str, Any]) -> dict[str, Any]:
    return {"password": {"config": {"password": _text(body, "password")}}}
