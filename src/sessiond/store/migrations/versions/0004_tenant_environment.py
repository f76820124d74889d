"""pxyz door: a tenant's environment (development, staging or production)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing tenants were all rendered as production: they keep that.
    op.add_column(
        "tenants",
        sa.Column("environment", sa.String(length=16), nullable=False, server_default="production"),
    )


def downgrade() -> None:
    with op.batch_alter_table("tenants") as batch:
        batch.drop_column("environment")
