from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A secret key, stored as a digest. `tenant_id` None marks a platform key (all tenants)."""

    id: uuid.UUID
    tenant_id: uuid.UUID | None
    digest: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def is_platform(self) -> bool:
        return self.tenant_id is None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
