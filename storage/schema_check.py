"""Refuse to serve against a schema older than the code (PostgreSQL is migrated by the release
step, not by every process that starts)."""

from __future__ import annotations

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from storage.db import MIGRATIONS, Database


def require_current_schema(db: Database) -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current != head:
        return (
            f"the database schema is at {current or 'nothing'}, the code needs {head}:"
            " run `python -m bot migrate` first (the Procfile's release step)"
        )
    return None
