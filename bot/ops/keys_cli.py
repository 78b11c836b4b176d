"""`python -m bot keys new` prints a new key for TOKEN_ENCRYPTION_KEYS; `python -m bot keys rotate`
seals every stored OAuth token again with the first key of TOKEN_ENCRYPTION_KEYS (tokens stored
before keys were set are sealed for the first time). See bot/app/token_keys.py for the steps of a
rotation. Never prints a token."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.app.settings import Settings
from bot.app.token_keys import TokenCipher, TokenKeyError, new_key
from bot.ops import database
from bot.plurals import counted
from storage import installations

PROG = "python -m bot keys"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Keys that encrypt the workspaces' OAuth tokens in the database."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("new", help="print a new key to put in TOKEN_ENCRYPTION_KEYS")
    commands.add_parser(
        "rotate", help="encrypt every stored token again with the first key of TOKEN_ENCRYPTION_KEYS"
    )
    return parser


def main(argv: Sequence[str]) -> int:
    args = _parser().parse_args(list(argv))
    if args.command == "new":
        print(new_key())
        return 0
    settings = database.settings(PROG)
    if settings is None:
        return 2
    if not settings.token_keys:
        print(f"{PROG}: TOKEN_ENCRYPTION_KEYS is not set: nothing to encrypt with", file=sys.stderr)
        return 2
    problem = database.problem(settings)
    if problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    try:
        changed = _rotate(settings)
    except TokenKeyError as error:
        print(f"{PROG}: {error}; nothing was changed", file=sys.stderr)
        return 2
    print(f"{PROG}: {counted(changed, 'stored token')} encrypted with the first key")
    return 0


def _rotate(settings: Settings) -> int:
    """In one transaction: a token that can't be opened leaves every row as it was."""
    from storage.db import Database

    cipher = TokenCipher(settings.token_keys)
    db = Database(settings.database_url)
    changed = 0
    try:
        with db.transaction() as session:
            for table, row_id, tokens in installations.stored_tokens(session):
                sealed = {column: cipher.reseal(value) for column, value in tokens.items()}
                if sealed != tokens:
                    installations.set_tokens(session, table, row_id, sealed)
                changed += sum(1 for value in tokens.values() if value)
    finally:
        db.dispose()
    return changed
