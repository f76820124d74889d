"""login flows on sign-in attempts: requested AAL and the session a step-up raises

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sign_in_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_aal", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("step_up_session_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sign_in_attempts", schema=None) as batch_op:
        batch_op.drop_column("step_up_session_id")
        batch_op.drop_column("requested_aal")
