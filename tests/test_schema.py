"""The migrations and the models describe the same schema, on the database under test."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import Database
from storage.models import Base


def test_migrations_match_the_models(database_url):
    db = Database(database_url)
    try:
        db.migrate()
        db.migrate()  # a second run is a no-op, as at every SQLite start
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert differences == []
    finally:
        db.dispose()
