"""Alembic environment: always run on a connection handed over by ``symbols.db.migrate``."""

from alembic import context

from symbols.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `symbols migrate` (symbols.db.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
