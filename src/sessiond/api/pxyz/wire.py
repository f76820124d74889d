"""pxyz's wire shapes, rendered explicitly from domain objects (never a secret, never a hash)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sessiond.api.kit import utc_text
from sessiond.domain.attempts import SignInAttempt, SignUpAttempt
from sessiond.domain.device import pxyz_display
from sessiond.domain.ids import render_pxyz
from sessiond.domain.listing import SessionRecord
from sessiond.domain.oauth import OAuthProvider
from sessiond.domain.user import User, UserState
from sessiond.domain.webhooks import WebhookEndpoint
from sessiond.services.attempts import Related

Wire = dict[str, Any]
_EMAIL_IDS = uuid.UUID("5b0e7c1e-3d4a-4f0c-9a57-2f3d0c1e8a11")


def pid(value: uuid.UUID | None) -> str | None:
    return None if value is None else render_pxyz(value)


def stamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with milliseconds, as pxyz (JavaScript's `toISOString`) renders it."""
    if value is None:
        return None
    return utc_text(value, "milliseconds")


def session(record: SessionRecord, related: Related, *, admin: bool = True) -> Wire:
    """`admin`: for a secret key. The frontend API (`admin=False`) never shows `privateMeta`."""
    s, device = record.session, record.device
    display = pxyz_display(device.agent) if device is not None else None
    sign_in = related.sign_ins.get(s.sign_in_attempt_id) if s.sign_in_attempt_id else None
    sign_up = related.sign_ups.get(s.sign_up_attempt_id) if s.sign_up_attempt_id else None
    return {
        "id": pid(s.id),
        "browser": display and display.browser,
        "device": display and display.device,
        "engine": display and display.engine,
        "os": display and display.os,
        "cpu": display and display.cpu,
        "ua": device.agent.raw or None if device is not None else None,
        "ip": device.ip if device is not None else None,
        "tenantId": pid(s.tenant_id),
        "userId": pid(s.user_id),
        "user": user(record.user, admin=admin),
        "signInAttemptId": pid(s.sign_in_attempt_id),
        "signInAttempt": None
        if sign_in is None
        else sign_in_attempt(sign_in, related, seed=True, admin=admin),
        "signUpAttemptId": pid(s.sign_up_attempt_id),
        "signUpAttempt": None
        if sign_up is None
        else sign_up_attempt(sign_up, related, admin=admin),
        "expiresAt": stamp(s.expires_at),
        "createdAt": stamp(s.created_at),
        "updatedAt": stamp(s.updated_at),
    }


def sign_in_attempt(
    attempt: SignInAttempt, related: Related, *, seed: bool = False, admin: bool = True
) -> Wire:
    """`seed`: the shape embedded in a session, whose provider carries seed 000's extra fields.
    The frontend (`admin=False`) names the user only once the first factor is proved."""
    provider = (
        related.providers.get(attempt.oauth_provider_id) if attempt.oauth_provider_id else None
    )
    user_id = attempt.user_id if admin or attempt.passed_first_factor else None
    found = related.users.get(user_id) if user_id else None
    return {
        "id": pid(attempt.id),
        "tenantId": pid(attempt.tenant_id),
        "userId": pid(user_id),
        "ipAddress": attempt.ip,
        "userAgent": attempt.user_agent,
        "identifier": attempt.identifier,
        "status": attempt.status.value,
        "strategy": attempt.strategy.value,
        "oauthProviderId": pid(attempt.oauth_provider_id),
        "oauthProvider": None if provider is None else oauth_provider(provider, seed=seed),
        "user": None if found is None else user(found, admin=admin),
        "createdAt": stamp(attempt.created_at),
        "updatedAt": stamp(attempt.updated_at),
    }


def sign_up_attempt(attempt: SignUpAttempt, related: Related, *, admin: bool = True) -> Wire:
    found = related.users.get(attempt.user_id) if attempt.user_id else None
    return {
        "id": pid(attempt.id),
        "tenantId": pid(attempt.tenant_id),
        "userId": pid(attempt.user_id),
        "user": None if found is None else user(found, admin=admin),
        "createdAt": stamp(attempt.created_at),
        "updatedAt": stamp(attempt.updated_at),
    }


def webhook(endpoint: WebhookEndpoint) -> Wire:
    """Never the signing secret: only the answer that makes the endpoint holds it."""
    return {
        "id": pid(endpoint.id),
        "tenantId": pid(endpoint.tenant_id),
        "url": endpoint.url,
        "events": [t.value for t in endpoint.event_types],
        "enabled": endpoint.enabled,
        "createdAt": stamp(endpoint.created_at),
    }


def oauth_provider(provider: OAuthProvider, *, seed: bool = False) -> Wire:
    """Never the client secret: that is only `GET .../{id}/secret`."""
    wire: Wire = {
        "id": pid(provider.id),
        "tenantId": pid(provider.tenant_id),
        "providerKey": provider.provider_key.value,
        "enabled": provider.enabled,
        "useCustomCredentials": provider.use_custom_credentials,
        "clientId": provider.client_id,
        "redirectUri": provider.redirect_uri,
        "additionalScopes": list(provider.additional_scopes),
    }
    if seed:
        wire["authenticatable"] = provider.authenticatable
        wire["autoConnectAccounts"] = provider.auto_connect_accounts
        wire["config"] = dict(provider.config)
    wire["createdAt"] = stamp(provider.created_at)
    wire["updatedAt"] = stamp(provider.updated_at)
    return wire


def email_id(found: User, address: str) -> uuid.UUID:
    """A stable id for an email address (sessiond keys addresses by their user). sessiond does
    not record when an address was verified: a verified one shows the user's creation time."""
    return uuid.uuid5(_EMAIL_IDS, f"{found.id.hex}:{address.lower()}")


def user(found: User, *, admin: bool = True) -> Wire:
    emails = [
        {
            "id": pid(email_id(found, e.address)),
            "tenantId": pid(found.tenant_id),
            "userId": pid(found.id),
            "email": e.address,
            "verifiedAt": stamp(found.created_at) if e.verified else None,
            "createdAt": stamp(found.created_at),
            "updatedAt": stamp(found.updated_at),
        }
        for e in found.emails
    ]
    return {
        "id": pid(found.id),
        "tenantId": pid(found.tenant_id),
        "name": found.name or None,
        "imageUri": None,
        "lastSignInAt": None,
        "lastActiveAt": None,
        "username": found.username,
        "status": "suspended" if found.state is UserState.SUSPENDED else "active",
        "roleId": None,
        "role": None,
        "primaryEmailId": emails[0]["id"] if emails else None,
        "primaryPhoneId": None,
        "emailAddresses": emails,
        "phoneNumbers": [],
        "publicMeta": found.metadata_public,
        "privateMeta": found.metadata_admin if admin else None,
        "createdAt": stamp(found.created_at),
        "updatedAt": stamp(found.updated_at),
    }
