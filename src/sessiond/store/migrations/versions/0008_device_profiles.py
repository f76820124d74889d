"""Text filters match device profiles, and count sessions by profile from one index

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from sessiond.domain.ids import new_id
from sessiond.store.repositories.device_profiles import profile_digest

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TRIGRAM = "gin_trgm_ops"
# The device parts a profile holds, in the order `profile_digest` reads them, and their lengths.
_PARTS = {"browser_name": 128, "app_name": 64, "device_type": 32, "app_kind": 32, "os_name": 128}


def upgrade() -> None:
    profiles = op.create_table(
        "device_profiles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        *(
            sa.Column(name, sa.String(length=length), nullable=True)
            for name, length in _PARTS.items()
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_device_profiles_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_profiles")),
        sa.UniqueConstraint(
            "tenant_id", "digest", name=op.f("uq_device_profiles_tenant_id_digest")
        ),
    )
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("device_profile_id", sa.Uuid(), nullable=True))
    _backfill(profiles)
    # Built after the backfill, which then does not maintain it row by row.
    op.create_index(
        "ix_sessions_device_profile",
        "sessions",
        ["tenant_id", "device_profile_id", "expires_at", "user_id", "ended_at"],
    )
    # Filters no longer read devices; a sign-in no longer pays for five trigram entries.
    op.drop_index("ix_devices_filter", table_name="devices")


def _backfill(profiles: sa.Table) -> None:
    """A profile for each distinct combination of every tenant's devices, then each session's
    profile from its device, in one statement (a join on equal parts, NULL equal to NULL)."""
    bind = op.get_bind()
    devices = sa.table(
        "devices",
        sa.column("id", sa.Uuid()),
        sa.column("tenant_id", sa.Uuid()),
        *(sa.column(name, sa.String()) for name in _PARTS),
    )
    sessions = sa.table(
        "sessions", sa.column("device_id", sa.Uuid()), sa.column("device_profile_id", sa.Uuid())
    )
    parts = [devices.c[name] for name in _PARTS]
    combinations = bind.execute(sa.select(devices.c.tenant_id, *parts).distinct()).all()
    rows = [
        {
            "id": new_id(),
            "tenant_id": tenant_id,
            "digest": profile_digest(tuple(values)),
            **dict(zip(_PARTS, values, strict=True)),
        }
        for tenant_id, *values in combinations
    ]
    if not rows:
        return
    op.bulk_insert(profiles, rows)
    bind.execute(
        sa.update(sessions)
        .values(device_profile_id=profiles.c.id)
        .where(
            sessions.c.device_id == devices.c.id,
            profiles.c.tenant_id == devices.c.tenant_id,
            *_equal_parts(profiles, parts),
        )
    )


def _equal_parts(profiles: sa.Table, parts: Sequence[Any]) -> list[sa.ColumnElement[bool]]:
    """Each part equal, NULL to NULL, written as plain equalities that PostgreSQL can hash (it
    cannot hash `IS NOT DISTINCT FROM`): the values with NULL as '', and whether each is NULL."""
    equal: list[sa.ColumnElement[bool]] = []
    for part in parts:
        other = profiles.c[part.name]
        equal.append(sa.func.coalesce(part, "") == sa.func.coalesce(other, ""))
        equal.append(part.is_(None) == other.is_(None))
    return equal


def downgrade() -> None:
    op.create_index(
        "ix_devices_filter",
        "devices",
        list(_PARTS),
        postgresql_using="gin",
        postgresql_ops=dict.fromkeys(_PARTS, _TRIGRAM),
        sqlite_where=sa.text("0"),
    )
    op.drop_index("ix_sessions_device_profile", table_name="sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("device_profile_id")
    op.drop_table("device_profiles")
