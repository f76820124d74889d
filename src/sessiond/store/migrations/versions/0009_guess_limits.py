"""Throttling of password guesses: each tenant's budgets, and the counters' hits without Redis

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sessiond.store.dialect import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BUDGETS = {
    "guess_window_s": 900,
    "account_failures": 10,
    "ip_failures": 100,
    "guess_first_delay_s": 30,
}


def upgrade() -> None:
    for name, default in _BUDGETS.items():
        op.add_column(
            "tenants", sa.Column(name, sa.Integer(), nullable=False, server_default=str(default))
        )
    op.create_table(
        "guess_hits",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_guess_hits_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guess_hits")),
    )
    op.create_index("ix_guess_hits_counter", "guess_hits", ["tenant_id", "scope", "key", "at"])


def downgrade() -> None:
    op.drop_index("ix_guess_hits_counter", table_name="guess_hits")
    op.drop_table("guess_hits")
    # Not a batch: on SQLite that copies `tenants` and drops the original, and dropping it deletes
    # every tenant's rows through the foreign keys. SQLite (3.35+) drops plain columns in place.
    for name in reversed(_BUDGETS):
        op.execute(f"ALTER TABLE tenants DROP COLUMN {name}")
