"""What the operator tools check before they read the bot's database: that it is there and
current. Opening a SQLite file that isn't there would create an empty one (SQLite makes the file
on first connect), and the tool would then report "no cases" about a database that never
existed, leaving a stray file behind."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.app import environment
from bot.app.settings import Settings, SettingsError


def settings(prog: str) -> Settings | None:
    """The bot's settings as an operator command reads them (the working directory's .env too,
    empty values unset), or None once what is wrong has been said on stderr."""
    environment.load()
    try:
        return Settings.from_env()
    except SettingsError as error:
        print(f"{prog}: configuration error: {error}", file=sys.stderr)
        return None


def problem(settings: Settings) -> str | None:
    """One line saying why the database can't be read as it is, or None when it can. Creates
    nothing: a SQLite file that isn't there is said to be missing before anything connects."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if settings.is_sqlite and url.database and url.database != ":memory:" and not Path(url.database).exists():
        return f"no database at {url.database}: set DATABASE_URL to the bot's database"
    from storage.db import Database
    from storage.schema_check import require_current_schema

    db = Database(settings.database_url)
    try:
        return require_current_schema(db)
    except Exception as error:  # unreachable server, wrong password…: one line, not a traceback
        return f"can't read the database: {str(error).splitlines()[0]}"
    finally:
        db.dispose()
