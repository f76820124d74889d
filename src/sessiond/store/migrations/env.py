"""Alembic environment: `sessiond migrate` runs the migrations itself and hands in a connection."""

from __future__ import annotations

from alembic import context

from sessiond.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
