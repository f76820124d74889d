"""Constraints that several migrations declare alike."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    """`tenant_id` references `tenants.id`; a tenant's rows go with it."""
    return sa.ForeignKeyConstraint(
        ["tenant_id"],
        ["tenants.id"],
        name=op.f(f"fk_{table}_tenant_id_tenants"),
        ondelete="CASCADE",
    )
