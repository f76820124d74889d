from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ProviderKey(StrEnum):
    GOOGLE = "google"
    GITHUB = "github"
    GITLAB = "gitlab"
    APPLE = "apple"
    FACEBOOK = "facebook"


@dataclass(frozen=True, slots=True)
class OAuthProvider:
    """A tenant's social sign-in configuration. The client secret is never rendered by default."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    provider_key: ProviderKey
    enabled: bool
    use_custom_credentials: bool
    client_id: str | None
    redirect_uri: str | None
    authenticatable: bool
    auto_connect_accounts: bool
    created_at: datetime
    updated_at: datetime
    client_secret: str | None = field(default=None, repr=False)
    additional_scopes: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
