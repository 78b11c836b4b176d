"""Refuse to serve against a schema older than the code (PostgreSQL is migrated by the release
step, not by every process that starts)."""

from __future__ import annotations

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage.db import MIGRATIONS, Database


def head_revision() -> str:
    """The newest migration this code has."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "no migrations found"
    return head


def current_revision(connection: Connection) -> str | None:
    """The migration the database is at; None for one never migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(db: Database) -> str | None:
    head = head_revision()
    with db.engine.connect() as connection:
        current = current_revision(connection)
    if current != head:
        return (
            f"the database schema is at {current or 'nothing'}, the code needs {head}:"
            " run `python -m bot migrate` first (the Procfile's release step)"
        )
    return None
