"""Login and registration flows as Kratos writes them: the flow, its `ui` form and messages."""

from __future__ import annotations

from typing import Any

from sessiond.api.kratos.wire import rfc3339
from sessiond.domain.attempts import SignInAttempt, SignUpAttempt
from sessiond.domain.flows import flow_expires_at
from sessiond.domain.session import AAL

INVALID_CREDENTIALS = (
    4000006,
    "The provided credentials are invalid, check for spelling mistakes in your password or "
    "username, email address, or phone number.",
)
INVALID_CODE = (4000008, "The provided authentication code is invalid, please try again.")
DUPLICATE = (
    4000007,
    "An account with the same identifier (email, phone, username, ...) exists already.",
)
INVALID_FIELD = (4000001, "{}")
ACCOUNT_DISABLED = (4000010, "The account is not active.")
# Kratos's generic validation id, which it also gives a submission "sent too often".
TOO_MANY_ATTEMPTS = (
    4000001,
    "Too many failed sign-in attempts. Please try again in {} seconds.",
)


def text(code: int, message: str, kind: str = "info") -> dict[str, Any]:
    return {"id": code, "text": message, "type": kind, "context": {}}


def error_message(entry: tuple[int, str], detail: str = "") -> dict[str, Any]:
    return text(entry[0], entry[1].format(detail), "error")


def _input(
    group: str,
    name: str,
    kind: str,
    *,
    label: tuple[int, str] | None = None,
    value: str | None = None,
    required: bool = False,
    autocomplete: str | None = None,
) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "node_type": "input",
        "name": name,
        "type": kind,
        "disabled": False,
    }
    if value is not None:
        attributes["value"] = value
    if required:
        attributes["required"] = True
    if autocomplete is not None:
        attributes["autocomplete"] = autocomplete
    meta = {} if label is None else {"label": text(*label)}
    return {"type": "input", "group": group, "attributes": attributes, "messages": [], "meta": meta}


def _csrf() -> dict[str, Any]:
    return _input("default", "csrf_token", "hidden", value="", required=True)


def login_nodes(aal: AAL) -> list[dict[str, Any]]:
    if aal is AAL.AAL2:
        return [
            _csrf(),
            _input(
                "totp",
                "totp_code",
                "text",
                label=(1070006, "Verify code"),
                required=True,
                autocomplete="one-time-code",
            ),
            _input("totp", "method", "submit", label=(1010009, "Use Authenticator"), value="totp"),
        ]
    return [
        _csrf(),
        _input("default", "identifier", "text", label=(1070004, "ID"), value="", required=True),
        _input(
            "password",
            "password",
            "password",
            label=(1070001, "Password"),
            required=True,
            autocomplete="current-password",
        ),
        _input("password", "method", "submit", label=(1010001, "Sign in"), value="password"),
    ]


def registration_nodes() -> list[dict[str, Any]]:
    return [
        _csrf(),
        _input(
            "password", "traits.email", "email", label=(1070002, "E-Mail"), autocomplete="email"
        ),
        _input("password", "traits.username", "text", label=(1070002, "Username")),
        _input(
            "password",
            "password",
            "password",
            label=(1070001, "Password"),
            required=True,
            autocomplete="new-password",
        ),
        _input("password", "method", "submit", label=(1040001, "Sign up"), value="password"),
    ]


def _ui(action: str, nodes: list[dict[str, Any]], messages: list[dict[str, Any]]) -> dict[str, Any]:
    ui: dict[str, Any] = {"action": action, "method": "POST", "nodes": nodes}
    if messages:
        ui["messages"] = messages
    return ui


def render_login_flow(
    flow: SignInAttempt, *, base_url: str, messages: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    aal = flow.requested_aal or AAL.AAL1
    query = "?aal=aal2" if aal is AAL.AAL2 else ""
    return {
        "id": str(flow.id),
        "type": "api",
        "expires_at": rfc3339(flow_expires_at(flow.created_at)),
        "issued_at": rfc3339(flow.created_at),
        "created_at": rfc3339(flow.created_at),
        "updated_at": rfc3339(flow.updated_at),
        "request_url": f"{base_url}/self-service/login/api{query}",
        "refresh": False,
        "requested_aal": aal.value,
        "state": "choose_method",
        "ui": _ui(
            f"{base_url}/self-service/login?flow={flow.id}", login_nodes(aal), messages or []
        ),
    }


def render_registration_flow(
    flow: SignUpAttempt, *, base_url: str, messages: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "id": str(flow.id),
        "type": "api",
        "expires_at": rfc3339(flow_expires_at(flow.created_at)),
        "issued_at": rfc3339(flow.created_at),
        "request_url": f"{base_url}/self-service/registration/api",
        "state": "choose_method",
        "ui": _ui(
            f"{base_url}/self-service/registration?flow={flow.id}",
            registration_nodes(),
            messages or [],
        ),
    }
