"""Rocket.Chat door: REST two-factor trust, email second factor and its codes

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sessiond.store.dialect
from sessiond.store.migrations.constraints import tenant_fk

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "two_factor_trust",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column(
            "trusted_until", sessiond.store.dialect.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_two_factor_trust_session_id_sessions"),
            ondelete="CASCADE",
        ),
        tenant_fk("two_factor_trust"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_two_factor_trust")),
    )
    op.create_table(
        "email_two_factor",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("enabled_at", sessiond.store.dialect.UTCDateTime(timezone=True), nullable=False),
        _user_fk("email_two_factor"),
        tenant_fk("email_two_factor"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_two_factor")),
    )
    op.create_table(
        "email_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("code_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("expires_at", sessiond.store.dialect.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", sessiond.store.dialect.UTCDateTime(timezone=True), nullable=False),
        _user_fk("email_codes"),
        tenant_fk("email_codes"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_email_codes")),
    )


def downgrade() -> None:
    op.drop_table("email_codes")
    op.drop_table("email_two_factor")
    op.drop_table("two_factor_trust")
