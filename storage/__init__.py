"""Storage: the only package that knows SQL. The models (models.py), the engine and its unit-of-
work sessions (db.py), one module of queries per concern (the outbox, the inbox, search,
reports...), and the Alembic migrations. It imports nothing of bot/ or handlers/."""
