"""The README's quick start, as written: an app from `manifest.socket.yml`, its two tokens in a
`.env` copied from `.env.example`, what `make run` runs, and a `/case open` that puts a case card
in the channel, against the Slack stand-in's Socket Mode. And `manifest.socket.yml` is the same
app as `manifest.yml`, valid by Slack's own schema, but for what Socket Mode changes."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml

from slack_standin import FakeSlackAPI, SocketModeEventsClient
from tests.processes import ROOT, BotProcess, bot_env
from tests.test_contract import slack_spec
from tests.test_first_run import filled_in

pytestmark = pytest.mark.backend_independent


def manifest(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def quick_start() -> str:
    """The README's quick start section, whole."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^## Quick start.*?(?=^## )", readme, re.S | re.M)
    assert found, "README has a '## Quick start' section"
    return found.group(0)


# ---- the socket manifest ---------------------------------------------------------------------


def test_the_socket_manifest_is_valid_by_slacks_schema_and_uses_socket_mode():
    schema = slack_spec("manifest.schema.1.0.0.json")
    socket = manifest("manifest.socket.yml")
    jsonschema.Draft7Validator(schema).validate(socket)
    assert socket["settings"]["socket_mode_enabled"] is True
    assert manifest("manifest.yml")["settings"]["socket_mode_enabled"] is False
    # No request URLs anywhere: Slack sends everything over the socket.
    assert "url" not in str(socket).lower().replace("redirect_urls", "")
    assert "request_url" not in socket["settings"]["event_subscriptions"]
    assert "request_url" not in socket["settings"]["interactivity"]


def without_what_socket_mode_changes(app: dict) -> dict:
    """The app with its URLs, OAuth redirect and socket switch taken out."""
    app = yaml.safe_load(yaml.safe_dump(app))
    for command in app["features"]["slash_commands"]:
        command.pop("url", None)
    app["oauth_config"].pop("redirect_urls", None)
    settings = app["settings"]
    settings["event_subscriptions"].pop("request_url", None)
    settings["interactivity"].pop("request_url", None)
    settings.pop("socket_mode_enabled")
    return app


def test_the_two_manifests_are_the_same_app_but_for_what_socket_mode_changes():
    http, socket = manifest("manifest.yml"), manifest("manifest.socket.yml")
    assert socket["oauth_config"]["scopes"] == http["oauth_config"]["scopes"]
    events = socket["settings"]["event_subscriptions"]["bot_events"]
    assert events == http["settings"]["event_subscriptions"]["bot_events"]
    assert without_what_socket_mode_changes(socket) == without_what_socket_mode_changes(http)


# ---- the quick start, step by step ---------------------------------------------------------------


def test_the_quick_start_names_the_socket_manifest_the_app_token_scope_and_two_lines_of_env():
    section = quick_start()
    assert "manifest.socket.yml" in section and "`connections:write`" in section
    assert "cp .env.example .env" in section and "make run" in section and "/case open" in section
    # The lines of .env it asks to fill in: exactly the two tokens.
    lines = re.findall(r"^\s*([A-Z_]+)=(\S+)$", section, re.M)
    assert [name for name, _ in lines] == ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"]
    assert dict(lines) == {"SLACK_BOT_TOKEN": "xoxb-…", "SLACK_APP_TOKEN": "xapp-…"}


def make_run_recipe() -> list[list[str]]:
    """What `make run` runs after installing, as argument lists for this interpreter."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "the Makefile has a run target"
    commands = [line.strip() for line in recipe.group(1).splitlines()]
    assert all(c.startswith("$(PY) ") for c in commands), commands
    return [[sys.executable, *c.removeprefix("$(PY) ").split()] for c in commands]


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(team_id="T1") as api:
        api.set_user("UAGENT", name="alex", tz="America/New_York")
        yield api


def test_the_quick_start_as_written_puts_a_case_card_in_the_channel(tmp_path: Path, slack):
    # Step 4: .env from .env.example, the two lines filled in. SLACK_API_URL only points the bot
    # at the stand-in instead of slack.com (left empty, as in .env.example, it is Slack's own).
    tokens = dict(re.findall(r"^\s*(SLACK_[A-Z_]+)=(\S+)$", quick_start(), re.M))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    env_file = filled_in(
        example,
        SLACK_BOT_TOKEN=tokens["SLACK_BOT_TOKEN"].replace("…", "quick-start"),
        SLACK_APP_TOKEN=tokens["SLACK_APP_TOKEN"].replace("…", "1-A1-quick-start"),
        SLACK_API_URL=slack.base_url,
    )
    (tmp_path / ".env").write_text(env_file, encoding="utf-8")
    assert "SLACK_SIGNING_SECRET=\n" in env_file, "Socket Mode needs no signing secret"

    # Step 5: `make run`, as its recipe says, in that folder with nothing else set.
    *before, last = make_run_recipe()
    assert last[1:4] == ["-m", "bot", "run"], last
    for command in before:
        done = subprocess.run(
            command, cwd=tmp_path, env=bot_env(), capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    bot = BotProcess("run", bot_env(), tmp_path, args=tuple(last[4:]))
    try:
        slack.wait_for(
            lambda: slack.socket_mode.connections == 1, timeout=40, what="the Socket Mode connection"
        )
        assert "socket_mode.connected" in slack.wait_for(
            lambda: "socket_mode.connected" in bot.log() and bot.log(), timeout=10, what="the log line"
        )
        # Step 6: `/case open` in a channel, and the card is there.
        alex = SocketModeEventsClient(slack)
        assert alex.command("open Acme Corp: refund not received", user="UAGENT", channel="C1").status == 200
        card = slack.wait_for(
            lambda: next((m for m in slack.messages("C1") if "CASE-1" in m.all_text()), None),
            timeout=20,
            what="the case card in C1",
        )
        assert "Acme Corp" in card.all_text() and card.thread_ts is None
        assert bot.terminate(15) == 0, bot.log()
    finally:
        bot.kill()
    assert "Traceback" not in bot.log()


# ---- the HTTP route ------------------------------------------------------------------------------


def test_the_http_setup_says_to_go_back_and_verify_the_events_url_once_the_bot_runs():
    """Created from manifest.yml before the bot is reachable, the events Request URL stays
    unverified and Slack sends no events: commands work, thread replies are never logged. The
    steps must say when to go back and verify it: after the step that starts the bot."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^### Hosting over HTTPS[^\n]*\n(.*?)(?=^#{2,3} )", readme, re.S | re.M)
    assert found, "README has a '### Hosting over HTTPS (Slack app setup)' section"
    steps = re.split(r"^\d+\. ", found.group(1), flags=re.M)[1:]
    starts = next(i for i, step in enumerate(steps) if "make run" in step)
    verify = next(i for i, step in enumerate(steps) if "Event Subscriptions" in step)
    assert verify > starts, "verify the URL after the bot is running, not before"
    assert "Retry" in steps[verify] and "Verified" in steps[verify]
    assert "no events" in " ".join(steps[verify].split()), "and says what goes wrong without it"
