"""Lists at scale: live-session counts from one index, trigram indexes for text filters

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TRIGRAM = "gin_trgm_ops"
_DEVICE_FILTER_COLUMNS = ("browser_name", "app_name", "device_type", "app_kind", "os_name")
_USER_FILTER_COLUMNS = ("username", "name")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.create_index("ix_sessions_device", "sessions", ["device_id"])
    op.create_index(
        "ix_sessions_tenant_live",
        "sessions",
        ["tenant_id", "expires_at", "user_id"],
        postgresql_where=sa.text("ended_at IS NULL"),
        sqlite_where=sa.text("ended_at IS NULL"),
    )
    if postgresql:
        # A trusted extension since PostgreSQL 13: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, columns in (
        ("ix_devices_filter", "devices", _DEVICE_FILTER_COLUMNS),
        ("ix_users_filter", "users", _USER_FILTER_COLUMNS),
    ):
        op.create_index(
            name,
            table,
            list(columns),
            postgresql_using="gin",
            postgresql_ops=dict.fromkeys(columns, _TRIGRAM),
            sqlite_where=sa.text("0"),
        )


def downgrade() -> None:
    op.drop_index("ix_users_filter", table_name="users")
    op.drop_index("ix_devices_filter", table_name="devices")
    op.drop_index("ix_sessions_tenant_live", table_name="sessions")
    op.drop_index("ix_sessions_device", table_name="sessions")
