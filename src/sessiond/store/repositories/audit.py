"""The audit trail's rows (domain/audit.py)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from sessiond.domain.audit import Actor, ActorKind, AuditEntry
from sessiond.store.tables import audit_log


def _entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=Actor(ActorKind(row["actor_kind"]), row["actor_id"], row["ip"]),
        action=row["action"],
        tenant_id=row["tenant_id"],
        target=row["target"],
    )


class AuditRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, entry: AuditEntry) -> None:
        await self._conn.execute(
            insert(audit_log).values(
                id=entry.id,
                at=entry.at,
                actor_kind=entry.actor.kind.value,
                actor_id=entry.actor.id,
                ip=entry.actor.ip,
                action=entry.action,
                tenant_id=entry.tenant_id,
                target=entry.target,
            )
        )

    async def newest(
        self,
        *,
        tenant_id: uuid.UUID | None = None,
        before: datetime | None = None,
        limit: int,
    ) -> list[AuditEntry]:
        """The newest entries first (of one tenant, when given; before `before`, when given)."""
        query = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        if tenant_id is not None:
            query = query.where(audit_log.c.tenant_id == tenant_id)
        if before is not None:
            query = query.where(audit_log.c.at < before)
        rows = await self._conn.execute(query.limit(limit))
        return [_entry(row) for row in rows.mappings()]
