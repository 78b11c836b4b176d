"""A new team's first run, exactly as the README has them do it: copy `.env.example` to `.env`,
fill in the lines it asks for, start the bot, open a case."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.app import environment
from slack_standin import FakeSlackAPI, SlackEventsClient
from tests.processes import ROOT, BotProcess, bot_env, free_port

SECRET = "first-run-secret"


def filled_in(example: str, **values: str) -> str:
    """`.env.example` with these lines filled in, and every other line exactly as it is."""
    for name, value in values.items():
        example, found = re.subn(rf"^{name}=.*$", f"{name}={value}", example, flags=re.MULTILINE)
        assert found == 1, f"{name} is not a line of .env.example"
    return example


@pytest.fixture
def stand_in() -> Any:
    with FakeSlackAPI(team_id="T1") as slack:
        slack.set_user("UAGENT", name="alex", tz="America/New_York")
        yield slack


def test_the_literal_env_example_with_its_lines_filled_in_opens_a_case(tmp_path, stand_in):
    port = free_port()
    example = (ROOT / ".env.example").read_text()
    (tmp_path / ".env").write_text(
        filled_in(
            example,
            SLACK_BOT_TOKEN="xoxb-first-run",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=stand_in.base_url,
            PORT=str(port),
        )
    )
    # Nothing of ours in the environment: everything comes from .env, as on a new machine.
    bot = BotProcess("run", bot_env(), tmp_path)
    try:
        client = SlackEventsClient(bot.wait_healthy(port), SECRET, api=stand_in)
        assert client.command("help", user="UAGENT").status == 200
        assert client.command("open Acme Corp: refund not received", user="UAGENT").status == 200
        card = stand_in.wait_for(lambda: next(iter(stand_in.messages("C1")), None), timeout=20, what="card")
        assert "CASE-1" in card.all_text() and "Acme Corp" in card.all_text()
    finally:
        bot.kill()
    log = bot.log()
    assert "no longer available" not in log
    # Bolt's warnings a newcomer would take for a broken set-up.
    assert not re.search(r"will be (ignored|unused)|token.*skipped", log, re.IGNORECASE), log


def test_an_empty_value_means_not_set_even_for_what_bolt_reads_itself(tmp_path):
    (tmp_path / ".env").write_text("SLACK_CLIENT_ID=\nSLACK_CLIENT_SECRET=\nSLACK_BOT_TOKEN=xoxb-from-file\n")
    environ = {"SLACK_SCOPES": "", "HOME": "/root"}
    assert environment.load(tmp_path, environ) == tmp_path / ".env"
    assert environ == {"SLACK_BOT_TOKEN": "xoxb-from-file", "HOME": "/root"}


def test_the_environment_wins_over_env_and_a_parent_folder_env_is_not_read(tmp_path):
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-parent\nPORT=4000\n")
    child = tmp_path / "child"
    child.mkdir()
    environ = {"PORT": "5000"}
    assert environment.load(child, environ) is None
    assert environ == {"PORT": "5000"}
    (child / ".env").write_text("PORT=4000\nLOG_FORMAT=json\n")
    environment.load(child, environ)
    assert environ == {"PORT": "5000", "LOG_FORMAT": "json"}


def test_without_credentials_the_bot_says_what_is_missing_and_how_to_get_it(tmp_path: Path):
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    bot = BotProcess("run", bot_env(), tmp_path)
    assert bot.process.wait(30) == 2
    log = bot.log()
    assert "SLACK_BOT_TOKEN" in log and "SLACK_SIGNING_SECRET" in log and "no longer available" not in log
