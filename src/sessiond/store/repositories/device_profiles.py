"""Device profiles: the parts of a device that text filters read, one row per distinct
combination in a tenant, named by every session on such a device (`sessions.device_profile_id`).

A profile is made the first time a tenant sees its combination and never changes or goes (but
with its tenant), so a session's profile stays the one of its device: devices are never updated.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.device import DeviceProfile, UserAgentInfo
from sessiond.domain.ids import new_id
from sessiond.store.dialect import insert_skipping_duplicates
from sessiond.store.tables import device_profiles

# The device columns a text filter matches, which a profile holds.
PROFILE_FIELDS = ("browser_name", "app_name", "device_type", "app_kind", "os_name")

Parts = tuple[str | None, ...]


def profile_parts(agent: UserAgentInfo) -> Parts:
    return tuple(getattr(agent, name) for name in PROFILE_FIELDS)


def profile_digest(parts: Parts) -> str:
    """What tells profiles apart: a JSON array keeps NULL apart from "" and from "null"."""
    return hashlib.sha256(orjson.dumps(list(parts))).hexdigest()


class DeviceProfileRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def ids_for(
        self, tenant_id: uuid.UUID, agents: Iterable[UserAgentInfo]
    ) -> dict[Parts, uuid.UUID]:
        """The tenant's profile of each agent, made where missing. A profile made concurrently
        by another transaction is waited for (PostgreSQL) and then read, not made twice."""
        wanted = {profile_digest(parts): parts for parts in map(profile_parts, agents)}
        found = await self._find(tenant_id, wanted)
        missing = [digest for digest in wanted if digest not in found]
        if missing:
            rows = [
                {
                    "id": new_id(),
                    "tenant_id": tenant_id,
                    "digest": digest,
                    **dict(zip(PROFILE_FIELDS, wanted[digest], strict=True)),
                }
                for digest in missing
            ]
            insert = insert_skipping_duplicates(device_profiles, self._conn.dialect.name)
            await self._conn.execute(insert, rows)
            found.update(await self._find(tenant_id, missing))
        return {wanted[digest]: found[digest] for digest in wanted}

    async def of_tenant(self, tenant_id: uuid.UUID) -> list[DeviceProfile]:
        query = select(device_profiles.c.id, *[device_profiles.c[f] for f in PROFILE_FIELDS])
        rows = await self._conn.execute(query.where(device_profiles.c.tenant_id == tenant_id))
        return [DeviceProfile(*row) for row in rows]

    async def _find(self, tenant_id: uuid.UUID, digests: Iterable[str]) -> dict[str, uuid.UUID]:
        query = select(device_profiles.c.digest, device_profiles.c.id).where(
            device_profiles.c.tenant_id == tenant_id,
            device_profiles.c.digest.in_(list(digests)),
        )
        return {row[0]: row[1] for row in await self._conn.execute(query)}
