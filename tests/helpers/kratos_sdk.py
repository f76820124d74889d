"""The official `ory-kratos-client` SDK pointed at a sessiond server, and checks that what it
parsed is complete (no field missing, nothing it did not expect)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import ory_kratos_client as ory
from ory_kratos_client.models import (
    CreateIdentityBody,
    Identity,
    IdentityWithCredentials,
    IdentityWithCredentialsPassword,
    IdentityWithCredentialsPasswordConfig,
    Session,
    SuccessfulNativeLogin,
    UpdateLoginFlowBody,
    UpdateLoginFlowWithPasswordMethod,
    UpdateLoginFlowWithTotpMethod,
)
from pydantic import BaseModel

PASSWORD = "correct horse battery staple"
_LINK = re.compile(r'<([^>]+)>;\s*rel="(\w+)"')


@dataclass(frozen=True, slots=True)
class Sdk:
    admin: ory.IdentityApi
    frontend: ory.FrontendApi


def sdk(url: str, secret_key: str) -> Sdk:
    admin = ory.Configuration(
        host=url,
        api_key={"oryAccessToken": secret_key},
        api_key_prefix={"oryAccessToken": "Bearer"},
    )
    return Sdk(
        admin=ory.IdentityApi(ory.ApiClient(admin)),
        frontend=ory.FrontendApi(ory.ApiClient(ory.Configuration(host=url))),
    )


def create_identity(client: Sdk, *, email: str, username: str | None = None) -> Identity:
    traits: dict[str, Any] = {"email": email}
    if username is not None:
        traits["username"] = username
    body = CreateIdentityBody(
        schema_id="default",
        traits=traits,
        credentials=IdentityWithCredentials(
            password=IdentityWithCredentialsPassword(
                config=IdentityWithCredentialsPasswordConfig(password=PASSWORD)
            )
        ),
        metadata_public={"plan": "free"},
        metadata_admin={"note": "made by the SDK suite"},
    )
    identity = client.admin.create_identity(create_identity_body=body)
    assert identity is not None, "create_identity must answer 201 with the identity"
    return identity


def login(client: Sdk, identifier: str, password: str = PASSWORD) -> SuccessfulNativeLogin:
    flow = client.frontend.create_native_login_flow()
    assert_complete(flow)
    method = UpdateLoginFlowWithPasswordMethod(
        method="password", identifier=identifier, password=password
    )
    done = client.frontend.update_login_flow(flow.id, UpdateLoginFlowBody(method))
    assert_complete(done)
    return done


def step_up(client: Sdk, token: str, code: str) -> SuccessfulNativeLogin:
    flow = client.frontend.create_native_login_flow(aal="aal2", x_session_token=token)
    assert flow.requested_aal == "aal2"
    body = UpdateLoginFlowBody(UpdateLoginFlowWithTotpMethod(method="totp", totp_code=code))
    return client.frontend.update_login_flow(flow.id, body, x_session_token=token)


def links(headers: dict[str, str] | None) -> dict[str, str]:
    """The `Link` header, read the way SDK users must: from the plain (case-sensitive) dict."""
    assert headers is not None
    return {rel: url for url, rel in _LINK.findall(headers["Link"])}


def page_token(url: str) -> str:
    return parse_qs(urlsplit(url).query)["page_token"][0]


def walk(fetch: Callable[[str | None], Any]) -> Iterator[Session]:
    """Follows `rel="next"` from the first page to the last, yielding every session."""
    token: str | None = None
    while True:
        response = fetch(token)
        assert response.status_code == 200
        yield from response.data
        following = links(response.headers).get("next")
        if following is None:
            return
        token = page_token(following)


def assert_complete(model: BaseModel, *, optional: frozenset[str] = frozenset()) -> None:
    """No key the SDK did not expect, recursively; for the wire objects we render in full, no
    documented field missing either."""
    extra = getattr(model, "additional_properties", {})
    assert extra == {}, f"{type(model).__name__} has unexpected fields {sorted(extra)}"
    for name in _EXPECTED.get(type(model).__name__, ()):
        if name not in optional:
            assert getattr(model, name) is not None, f"{type(model).__name__}.{name} is missing"
    for value in model.__dict__.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, BaseModel):
                assert_complete(item)


_EXPECTED: dict[str, tuple[str, ...]] = {
    "Session": (
        "id",
        "active",
        "expires_at",
        "authenticated_at",
        "authenticator_assurance_level",
        "authentication_methods",
        "issued_at",
    ),
    "Identity": ("id", "schema_id", "schema_url", "state", "traits", "created_at", "updated_at"),
    "SessionDevice": ("id", "ip_address", "user_agent", "location"),
    "SessionAuthenticationMethod": ("method", "aal", "completed_at"),
    "SuccessfulNativeLogin": ("session", "session_token"),
    "LoginFlow": ("id", "type", "expires_at", "issued_at", "request_url", "requested_aal", "ui"),
    "RegistrationFlow": ("id", "type", "expires_at", "issued_at", "request_url", "ui"),
    "SuccessfulNativeRegistration": ("identity", "session", "session_token"),
    "UiContainer": ("action", "method", "nodes"),
}


def assert_full_session(session: Session, *, expanded: bool = True) -> None:
    assert_complete(session)
    if expanded:
        assert session.identity is not None
        assert session.devices is not None
        assert session.devices, "a session made through the SDK has its device"
    else:
        assert session.identity is None
        assert session.devices is None
