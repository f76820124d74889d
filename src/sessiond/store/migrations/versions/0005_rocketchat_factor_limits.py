"""Rocket.Chat door: per-user second-factor try limit and the email-code mail throttle

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sessiond.store.dialect

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("email_two_factor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "last_mailed_at", sessiond.store.dialect.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.create_table(
        "factor_tries",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column(
            "window_started_at", sessiond.store.dialect.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("locked_until", sessiond.store.dialect.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_factor_tries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_factor_tries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_factor_tries")),
    )


def downgrade() -> None:
    op.drop_table("factor_tries")
    with op.batch_alter_table("email_two_factor", schema=None) as batch_op:
        batch_op.drop_column("last_mailed_at")
