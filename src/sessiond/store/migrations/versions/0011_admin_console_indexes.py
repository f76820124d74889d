"""Indexes for the administrators' console: sessions by last activity, devices by address and
by location, a user's sign-in attempts

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_sessions_tenant_last_active",
        "sessions",
        ["tenant_id", "last_active_at", "created_at", "id"],
    )
    op.create_index("ix_devices_tenant_ip", "devices", ["tenant_id", "ip"])
    op.create_index("ix_devices_tenant_location", "devices", ["tenant_id", "location", "id"])
    op.create_index(
        "ix_sign_in_attempts_user_created", "sign_in_attempts", ["user_id", "created_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempts_user_created", table_name="sign_in_attempts")
    op.drop_index("ix_devices_tenant_location", table_name="devices")
    op.drop_index("ix_devices_tenant_ip", table_name="devices")
    op.drop_index("ix_sessions_tenant_last_active", table_name="sessions")
