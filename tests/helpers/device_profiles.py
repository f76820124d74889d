"""What must hold of device profiles (revision 0008) however sessions were written: each session
with a device names the tenant's profile of that device's parts, and each profile's digest is
the digest of its parts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from sessiond.store.repositories.device_profiles import PROFILE_FIELDS, profile_digest
from sessiond.store.tables import device_profiles, devices, sessions


async def profile_faults(engine: AsyncEngine) -> list[Any]:
    """Every session whose profile is not its device's, and every profile with a wrong digest."""
    parts = [devices.c[name].label(f"device_{name}") for name in PROFILE_FIELDS]
    query = select(
        sessions.c.id,
        sessions.c.tenant_id,
        sessions.c.device_id,
        sessions.c.device_profile_id,
        devices.c.tenant_id.label("device_tenant"),
        *parts,
        device_profiles.c.tenant_id.label("profile_tenant"),
        *[device_profiles.c[name] for name in PROFILE_FIELDS],
    ).select_from(
        sessions.outerjoin(devices, devices.c.id == sessions.c.device_id).outerjoin(
            device_profiles, device_profiles.c.id == sessions.c.device_profile_id
        )
    )
    async with engine.connect() as conn:
        rows = list((await conn.execute(query)).mappings())
        profiles = list((await conn.execute(select(device_profiles))).mappings())
    faults: list[Any] = []
    for row in rows:
        if row["device_id"] is None:
            if row["device_profile_id"] is not None:
                faults.append(("profile without a device", row["id"]))
            continue
        device_parts = [row[f"device_{name}"] for name in PROFILE_FIELDS]
        profile_parts = [row[name] for name in PROFILE_FIELDS]
        if row["profile_tenant"] != row["tenant_id"] or profile_parts != device_parts:
            faults.append(("not its device's profile", row["id"], device_parts, profile_parts))
    for profile in profiles:
        if profile["digest"] != profile_digest(tuple(profile[name] for name in PROFILE_FIELDS)):
            faults.append(("wrong digest", profile["id"]))
    return faults


async def profiles_per_tenant(engine: AsyncEngine) -> dict[Any, int]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(device_profiles.c.tenant_id))
        counted: dict[Any, int] = {}
        for (tenant_id,) in rows:
            counted[tenant_id] = counted.get(tenant_id, 0) + 1
        return counted
