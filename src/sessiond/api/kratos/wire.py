"""Session and identity JSON as Kratos writes it (field order, RFC 3339 UTC times, no nulls the
older SDKs choke on)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sessiond.api.kit import utc_text
from sessiond.domain.device import Device
from sessiond.domain.listing import SessionRecord
from sessiond.domain.session import AuthMethod
from sessiond.domain.tenant import SessionSettings
from sessiond.domain.user import User

SCHEMA_ID = "default"
SCHEMA_PATH_ID = base64.urlsafe_b64encode(SCHEMA_ID.encode()).decode().rstrip("=")
# The methods every SDK version accepts; anything else the store holds is left out.
KNOWN_METHODS = frozenset(
    {
        "password",
        "oidc",
        "totp",
        "lookup_secret",
        "webauthn",
        "code",
        "passkey",
        "profile",
        "saml",
        "link_recovery",
        "code_recovery",
    }
)


def rfc3339(value: datetime) -> str:
    return utc_text(value, "microseconds")


@dataclass(frozen=True, slots=True)
class View:
    """What rendering needs besides the record: the time (for `active`), the tenant's session
    settings, the public base URL (for `schema_url`) and whether an administrator is asking."""

    now: datetime
    settings: SessionSettings
    base_url: str
    admin: bool = False


def schema_url(base_url: str) -> str:
    return f"{base_url}/schemas/{SCHEMA_PATH_ID}"


def traits_of(user: User) -> dict[str, Any]:
    if user.traits:
        return dict(user.traits)
    traits: dict[str, Any] = {}
    if user.primary_email is not None:
        traits["email"] = user.primary_email
    if user.username is not None:
        traits["username"] = user.username
    return traits


def render_identity(user: User, view: View) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(user.id),
        "schema_id": SCHEMA_ID,
        "schema_url": schema_url(view.base_url),
        "state": "active" if user.is_active else "inactive",
        "traits": traits_of(user),
        "metadata_public": user.metadata_public,
    }
    if view.admin:
        body["metadata_admin"] = user.metadata_admin
    body["created_at"] = rfc3339(user.created_at)
    body["updated_at"] = rfc3339(user.updated_at)
    body["organization_id"] = None
    if user.emails:
        body["verifiable_addresses"] = [
            _verifiable(user, e.address, e.verified) for e in user.emails
        ]
        body["recovery_addresses"] = [_recovery(user, e.address) for e in user.emails]
    return body


def _verifiable(user: User, address: str, verified: bool) -> dict[str, Any]:
    return {
        "value": address,
        "verified": verified,
        "via": "email",
        "status": "completed" if verified else "pending",
        "created_at": rfc3339(user.created_at),
        "updated_at": rfc3339(user.updated_at),
    }


def _recovery(user: User, address: str) -> dict[str, Any]:
    return {
        "value": address,
        "via": "email",
        "created_at": rfc3339(user.created_at),
        "updated_at": rfc3339(user.updated_at),
    }


def render_method(method: AuthMethod) -> dict[str, Any] | None:
    name, provider = method.method, method.provider
    if name.startswith("oauth"):
        name, provider = "oidc", provider or name.removeprefix("oauth").strip("_")
    if name not in KNOWN_METHODS:
        return None
    body: dict[str, Any] = {
        "method": name,
        "aal": method.aal.value,
        "completed_at": rfc3339(method.completed_at),
    }
    if provider:
        body["provider"] = provider
    return body


def render_device(device: Device) -> dict[str, Any]:
    return {
        "id": str(device.id),
        "ip_address": device.ip or "",
        "user_agent": device.agent.raw,
        "location": device.location,
    }


def render_session(
    record: SessionRecord, view: View, *, identity: bool = True, devices: bool = True
) -> dict[str, Any]:
    """`identity` and `devices` are left out when not expanded (older SDKs refuse null)."""
    session = record.session
    active = session.is_live(
        now=view.now, settings=view.settings, user_active=record.user.is_active
    )
    methods = [m for m in map(render_method, session.methods) if m is not None]
    body: dict[str, Any] = {
        "id": str(session.id),
        "active": active,
        "expires_at": rfc3339(session.expires_at),
        "authenticated_at": rfc3339(session.authenticated_at),
        "authenticator_assurance_level": session.aal.value,
        "authentication_methods": methods,
        "issued_at": rfc3339(session.issued_at),
    }
    if identity:
        body["identity"] = render_identity(record.user, view)
    if devices:
        body["devices"] = [] if record.device is None else [render_device(record.device)]
    return body
