"""pxyz's tenant shapes: the tenant itself, and its auth configuration with the session settings
in minutes."""

from __future__ import annotations

from datetime import timedelta

from sessiond.api.pxyz.wire import Wire, pid, stamp
from sessiond.domain.tenant import MAX_DURATION, Tenant

# What sessiond's pxyz door supports; the rest of pxyz's strategies are off.
_STRATEGIES = {
    "strategyUsernamePasswordEnabled": True,
    "strategyEmailPasswordEnabled": True,
    "strategyEmailLinkEnabled": False,
    "strategyEmailCodeEnabled": False,
    "strategyPhoneCodeEnabled": False,
    "strategyPhonePasswordEnabled": False,
    "strategyOAuthEnabled": False,
    "strategyAuthenticatorCodeEnabled": True,
    "strategySecurityKeyEnabled": False,
    "passwordsEnabled": True,
    "emailSignInEnabled": True,
    "phoneSignInEnabled": False,
    "usernameSignInEnabled": True,
    "nameRequired": False,
    "emailRequired": False,
    "phoneRequired": False,
    "usernameRequired": False,
    "passwordRequired": True,
    "emailVerificationRequired": False,
    "phoneVerificationRequired": False,
    "emailVerificationCodeEnabled": False,
    "emailVerificationLinkEnabled": False,
    "phoneVerificationCodeEnabled": False,
}
_URIS = (
    "homeUri",
    "frontendApiUri",
    "signUpUri",
    "signInRedirectUri",
    "signInUri",
    "signUpRedirectUri",
    "logoutRedirectUri",
    "userSettingsUri",
    "organizationSettingsUri",
    "createOrganizationUri",
    "createOrganizationRedirectUri",
    "emailChannelId",
    "smsChannelId",
    "codeVerificationEmailTemplateId",
    "codeVerificationSMSMessageTemplateId",
    "magicLinkEmailTemplateId",
    "magicLinkSMSMessageTemplateId",
    "welcomeEmailTemplateId",
    "welcomeSMSMessageTemplateId",
)


def minutes(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


def tenant(found: Tenant) -> Wire:
    return {
        "id": pid(found.id),
        "name": found.name,
        "slug": found.slug,
        "publicKey": found.public_key,
        "logoId": None,
        "logoUri": None,
        "iconId": None,
        "iconUri": None,
        "environment": found.environment.value,
        "createdAt": stamp(found.created_at),
        "updatedAt": stamp(found.updated_at),
    }


def tenant_with_auth(found: Tenant) -> Wire:
    settings = found.settings
    idle = settings.inactivity_timeout
    auth: Wire = {
        "id": pid(found.id),
        "tenantId": pid(found.id),
        **_STRATEGIES,
        "sessionMaximumLifetimeEnabled": settings.max_lifetime < MAX_DURATION,
        "sessionMaximumLifetime": minutes(settings.max_lifetime),
        "sessionInactivityTimeoutEnabled": idle is not None,
        "sessionInactivityTimeout": 0 if idle is None else minutes(idle),
        **dict.fromkeys(_URIS),
        "createdAt": stamp(found.created_at),
        "updatedAt": stamp(found.updated_at),
    }
    wire = tenant(found)
    wire.update({"creatorId": None, "auth": auth, "domains": []})
    return wire
