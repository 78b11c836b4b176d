"""Where settings come from: the process environment, and the working directory's `.env`.

Two rules a first run depends on:
- `.env` is read from the working directory only (where `make run` runs), never from a parent
  folder, and never overrides what the environment already says.
- An empty value means "not set", everywhere. `.env.example` lists every setting with an
  empty value for the ones a team leaves alone; copied literally, those lines must not switch
  anything on. That includes what Bolt reads from the environment behind our settings' back:
  an empty SLACK_CLIENT_ID and SLACK_CLIENT_SECRET would otherwise turn on Bolt's own file-based
  OAuth, which ignores the bot token and refuses every request."""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from dotenv import dotenv_values


def load(directory: Path | None = None, environ: MutableMapping[str, str] | None = None) -> Path | None:
    """Read `directory`'s `.env` (the working directory by default) into the environment,
    leaving out its empty values, then drop any empty SLACK_* variable the environment itself
    has (our settings read empty as unset already; Bolt does not). Returns the file read."""
    environ = os.environ if environ is None else environ
    path = (directory or Path.cwd()) / ".env"
    if path.is_file():
        for name, value in dotenv_values(path).items():
            if value is not None and value.strip() and name not in environ:
                environ[name] = value
    for name in [name for name, value in environ.items() if name.startswith("SLACK_") and not value.strip()]:
        del environ[name]
    return path if path.is_file() else None


# Read by our settings, and by Bolt too when it is handed none: each request's token comes from
# our authorize step (bot/app/workspaces.py), and a token Bolt found in the environment would
# only make it warn at start that the token "will be unused".
READ_BY_SETTINGS = ("SLACK_BOT_TOKEN",)


def read_by_settings(environ: MutableMapping[str, str] | None = None) -> None:
    """Once the settings are read: take out of the environment what libraries must not read
    behind them (and what child processes need not inherit)."""
    environ = os.environ if environ is None else environ
    for name in READ_BY_SETTINGS:
        environ.pop(name, None)
