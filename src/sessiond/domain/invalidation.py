"""What a change tells every token-check cache: which cached answers it may have made wrong."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Scope(StrEnum):
    SESSION = "session"  # one session: ended, extended, stepped up
    USER = "user"  # every session of a user: profile, state, password, deletion, bulk ends
    TENANT = "tenant"  # every session of a tenant: settings, lifetime caps, deletion


@dataclass(frozen=True, slots=True)
class Invalidation:
    scope: Scope
    tenant_id: uuid.UUID
    target: uuid.UUID
