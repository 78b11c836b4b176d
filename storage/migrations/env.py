"""Alembic environment. `python -m bot migrate` (storage.db.Database.migrate) hands us an open
connection; running `alembic` by hand works too with DATABASE_URL set."""

import os

from alembic import context
from sqlalchemy import create_engine

from storage.search import is_search_object
from storage.tables import metadata

target_metadata = metadata


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        # The search index (0005) lives outside the models: autogenerate must not drop it.
        include_name=lambda name, type_, _parents: not is_search_object(name, type_),
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = create_engine(os.environ.get("DATABASE_URL", "sqlite:///casekeeper.sqlite3"))
    with engine.begin() as own_connection:
        run_migrations(own_connection)
