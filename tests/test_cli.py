"""`python -m bot`, as an operator meets it: every command says what it does, and a first run
without credentials says what is missing before it makes anything."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.app.cli import COMMANDS
from tests.processes import bot_env

pytestmark = pytest.mark.backend_independent


def bot(*arguments: str, cwd) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        cwd=cwd,
        env=bot_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_help_lists_every_command_with_what_it_does(tmp_path):
    shown = bot("--help", cwd=tmp_path)
    assert shown.returncode == 0
    for name in ("run", "web", "worker", "migrate", "demo", "report", "export"):
        assert f"    {name} " in shown.stdout, name
    assert "Procfile's release" in " ".join(shown.stdout.split())


@pytest.mark.parametrize("command", ["run", "web", "worker", "migrate", "demo"])
def test_each_command_describes_itself_without_settings(tmp_path, command):
    shown = bot(command, "--help", cwd=tmp_path)
    assert shown.returncode == 0 and f"usage: python -m bot {command}" in shown.stdout
    # Its own description, not the list of every command.
    assert " ".join(COMMANDS[command].split()[:4]) in " ".join(shown.stdout.split())
    assert list(tmp_path.iterdir()) == []


def test_report_and_export_answer_their_own_help(tmp_path):
    for command in ("report", "export"):
        shown = bot(command, "--help", cwd=tmp_path)
        assert (
            shown.returncode == 0 and f"python -m bot {command}" in shown.stdout and "--since" in shown.stdout
        )


def test_a_first_run_without_credentials_names_them_and_makes_nothing(tmp_path):
    started = bot("run", "--migrate", cwd=tmp_path)
    assert started.returncode == 2
    assert "SLACK_BOT_TOKEN" in started.stderr and "SLACK_SIGNING_SECRET" in started.stderr
    assert "migrat" not in (started.stdout + started.stderr).lower()
    assert list(tmp_path.iterdir()) == [], "no database file before the settings are right"


@pytest.mark.parametrize("entry", ["T1:", "maria", "T1:maria", "U1ADA:T1", "T1:U1:U2"])
def test_a_malformed_admin_entry_stops_the_start_with_one_line_naming_it(tmp_path, entry):
    started = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--migrate"],
        cwd=tmp_path,
        env=bot_env(
            SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", ADMIN_USERS=f"UBOSS, T2:UADA, {entry}"
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 2
    (line,) = started.stderr.strip().splitlines()
    assert f'ADMIN_USERS has "{entry}": write each admin as' in line and "T123:U456" in line, line
    assert list(tmp_path.iterdir()) == [], "nothing made before the settings are right"
