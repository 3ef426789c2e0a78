"""Alembic environment: callqa.store.db.migrate passes an open connection in `attributes`."""

from __future__ import annotations

from alembic import context

from callqa.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through callqa.store.db.migrate (or open_store), which passes a connection")
# render_as_batch: SQLite alters tables by copy; later migrations get that for free.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
