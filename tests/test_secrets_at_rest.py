"""Secrets at rest and in logs: with TOKEN_ENCRYPTION_KEYS each workspace's OAuth token is stored
encrypted (a row read straight from the database is not the token) and the bot still speaks for
the workspace with it; keys rotate without a lost install; a wrong key stops start-up with one
line; Settings never print a secret; a failed statement never carries what people typed."""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from bot.app.settings import Settings, SettingsError
from bot.app.token_keys import new_key
from storage.db import Database
from storage.models import SLACK_BOTS, SLACK_INSTALLATIONS
from tests.conftest import RunningBot, make_settings
from tests.processes import ROOT, bot_env
from tests.test_oauth import CLIENT_ID, CLIENT_SECRET, install, person


def stored_tokens(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            bots = connection.execute(select(SLACK_BOTS.c.bot_token)).scalars().all()
            installs = connection.execute(select(SLACK_INSTALLATIONS.c.bot_token)).scalars().all()
            return [*bots, *installs]
    finally:
        engine.dispose()


def oauth_bot(slack, database_url, clock, keys: tuple[str, ...]) -> RunningBot:
    settings = make_settings(
        slack, database_url, bot_token=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, token_keys=keys
    )
    return RunningBot(settings, clock)


def keys_command(database_url: str, keys: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = bot_env(
        DATABASE_URL=database_url,
        TOKEN_ENCRYPTION_KEYS=keys,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "keys", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_a_stored_token_is_not_the_token_and_the_bot_still_speaks_with_it(slack, database_url, clock):
    slack.oauth_app(CLIENT_ID, CLIENT_SECRET)
    slack.set_user("UALEX", name="alex", tz="America/New_York")
    bot = oauth_bot(slack, database_url, clock, (new_key(),))
    try:
        token = install(bot, slack, "T1", installer="UALEX")
        stored = stored_tokens(database_url)
        assert stored and all(value.startswith("fernet:") and token not in value for value in stored)
        person(bot, slack, "T1", "UALEX").open_case("Acme: refund not received", channel="CT1")
        cards = [c for c in slack.calls("chat.postMessage") if c.params.get("channel") == "CT1"]
        assert cards and {c.token for c in cards} == {token}
    finally:
        bot.stop()


def test_keys_rotate_without_losing_an_install_and_a_wrong_key_stops_start_up(slack, database_url, clock):
    slack.oauth_app(CLIENT_ID, CLIENT_SECRET)
    slack.set_user("UALEX", name="alex", tz="America/New_York")
    old, new, wrong = new_key(), new_key(), new_key()
    bot = oauth_bot(slack, database_url, clock, (old,))
    try:
        token = install(bot, slack, "T1", installer="UALEX")
    finally:
        bot.stop()
    sealed_with_old = stored_tokens(database_url)

    # The new key goes first; the old one still opens what is stored.
    bot = oauth_bot(slack, database_url, clock, (new, old))
    try:
        person(bot, slack, "T1", "UALEX").open_case("Acme: first", channel="CT1")
    finally:
        bot.stop()
    rotated = keys_command(database_url, f"{new},{old}", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "encrypted with the first key" in rotated.stdout and token not in rotated.stdout
    assert stored_tokens(database_url) != sealed_with_old

    # Only the new key now: everything opens.
    bot = oauth_bot(slack, database_url, clock, (new,))
    try:
        person(bot, slack, "T1", "UALEX").open_case("Acme: second", channel="CT1")
    finally:
        bot.stop()
    cards = [c for c in slack.calls("chat.postMessage") if c.params.get("channel") == "CT1"]
    assert len(cards) == 2 and {c.token for c in cards} == {token}

    # A key that opens nothing: start-up says what to do, in one line, and exits 2.
    env = bot_env(
        DATABASE_URL=database_url,
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL=slack.base_url,
        TOKEN_ENCRYPTION_KEYS=wrong,
    )
    started = subprocess.run(
        [sys.executable, "-m", "bot", "web"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 2
    assert "none of the keys in TOKEN_ENCRYPTION_KEYS opens the workspaces' tokens" in started.stderr
    assert "Traceback" not in started.stderr
    refused = keys_command(database_url, wrong, "rotate")
    assert refused.returncode == 2 and "nothing was changed" in refused.stderr


def test_keys_new_prints_a_key_the_settings_accept_and_a_bad_key_is_named():
    made = subprocess.run(
        [sys.executable, "-m", "bot", "keys", "new"], cwd=ROOT, env=bot_env(), capture_output=True, text=True
    )
    key = made.stdout.strip()
    assert made.returncode == 0 and len(key) == 44
    assert Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "TOKEN_ENCRYPTION_KEYS": key}).token_keys == (key,)
    with pytest.raises(SettingsError, match="TOKEN_ENCRYPTION_KEYS: key 2 of 2 is not a Fernet key"):
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "TOKEN_ENCRYPTION_KEYS": f"{key},not-a-key"})


def test_settings_never_print_a_secret(slack, tmp_path: Path):
    key = new_key()
    settings = replace(
        make_settings(slack, "postgresql+psycopg://bot:hunter2-db@db.example/casekeeper"),
        bot_token="xoxb-very-secret",
        client_id="1.2",
        client_secret="client-secret-value",
        app_token="xapp-secret-too",
        token_keys=(key,),
    )
    shown = repr(settings) + str(settings)
    for secret in (
        "xoxb-very-secret",
        "client-secret-value",
        "xapp-secret-too",
        "hunter2-db",
        key,
        "test-signing",
    ):
        assert secret not in shown
    assert "reminder_lead=" in shown and "***" in shown


INSERT = "INSERT INTO inbound_events (id, team_id, event_id, payload, state, received_at, attempts)"


def test_a_failed_statement_does_not_carry_what_people_typed(database_url, caplog):
    db = Database(database_url)
    db.migrate()
    typed = "Acme Ltd, order 7731-SECRET, card ending 4242"
    try:
        with db.transaction() as session:
            session.execute(text(INSERT + " VALUES (1, 'T1', 'Ev1', '{}', 'received', CURRENT_TIMESTAMP, 0)"))
        with (
            caplog.at_level(logging.DEBUG),
            pytest.raises(IntegrityError) as failed,
            db.transaction() as session,
        ):
            session.execute(
                text(INSERT + " VALUES (1, :team, :event, '{}', 'received', CURRENT_TIMESTAMP, 0)"),
                {"team": "T1", "event": typed},
            )
        assert typed not in str(failed.value) and typed not in caplog.text
        assert "hidden due to hide_parameters" in str(failed.value)
    finally:
        db.dispose()
