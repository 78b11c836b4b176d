"""The migrations and the models describe the same schema, on the database under test."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import Database
from storage.search import is_search_object
from storage.tables import metadata


def test_migrations_match_the_models(database_url):
    db = Database(database_url)
    try:
        db.migrate()
        db.migrate()  # a second run is a no-op, as at every SQLite start
        with db.engine.connect() as connection:
            # The search index (0005) is each backend's own and lives outside the models.
            outside = {"include_name": lambda name, type_, _parents: not is_search_object(name, type_)}
            context = MigrationContext.configure(connection, opts=outside)
            differences = compare_metadata(context, metadata)
        assert differences == []
    finally:
        db.dispose()
