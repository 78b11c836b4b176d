"""Socket Mode through the real boundary: `python -m bot` with SLACK_APP_TOKEN asks the Slack
stand-in for a WebSocket URL (apps.connections.open), connects with slack_sdk's own client, and
gets commands and events as envelopes that it must ack, exactly as from Slack."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_standin import FakeSlackAPI, SocketModeEventsClient
from tests.processes import BotProcess, bot_env, free_port, migrate

# Nothing here depends on which database is behind the bot: run once, on SQLite.
pytestmark = pytest.mark.backend_independent


@pytest.fixture
def slack() -> Iterator[FakeSlackAPI]:
    """The stand-in on real time (conftest's follows a test clock): this bot runs on the system clock."""
    api = FakeSlackAPI(team_id="T1").start()
    api.set_user("UAGENT", name="alex", tz="America/New_York")
    yield api
    api.stop()


def start_socket_bot(tmp_path, slack, database_url, app_token="xapp-1-A1-socket-token") -> BotProcess:
    """`python -m bot` in Socket Mode, in an empty working directory (no .env): no signing
    secret, no HTTP port."""
    env = bot_env(
        SLACK_APP_TOKEN=app_token,
        SLACK_BOT_TOKEN="xoxb-socket-token",
        SLACK_API_URL=slack.base_url,
        DATABASE_URL=database_url,
        # The dashboard's port (Socket Mode has no endpoint for Slack, but serves the dashboard).
        PORT=str(free_port()),
    )
    migrate(env, tmp_path)
    return BotProcess("run", env, tmp_path)


@pytest.fixture
def socket_bot(tmp_path, slack, database_url) -> Iterator[BotProcess]:
    """Started once its WebSocket is open."""
    process = start_socket_bot(tmp_path, slack, database_url)
    try:
        wait_connected(process, slack)
        yield process
    finally:
        process.kill()


def wait_connected(process: BotProcess, slack: FakeSlackAPI, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while slack.socket_mode.connections == 0:
        if process.process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the bot did not open its Socket Mode connection:\n{process.log()}")
        time.sleep(0.05)


def test_a_case_opened_and_a_contact_logged_over_socket_mode(socket_bot, slack):
    alex = SocketModeEventsClient(slack)

    acked = alex.command("open Acme Corp: refund not received", user="UAGENT", channel="C1")
    assert acked.status == 200 and acked.elapsed < 3.0, "acked within Slack's 3 seconds"
    card = slack.wait_for(
        lambda: next((m for m in slack.messages("C1") if "CASE-1" in m.all_text()), None),
        timeout=10,
        what="the case card in C1",
    )
    assert "Acme Corp" in card.all_text() and card.thread_ts is None

    alex.thread_reply("Called them: refund is on its way", thread_ts=card.ts, user="UAGENT", channel="C1")
    slack.wait_for(
        lambda: [r for r in slack.reactions if (r.channel, r.timestamp) == ("C1", alex.last_ts)],
        timeout=10,
        what="the reaction that says the contact was logged",
    )
    # One URL, asked for with the app-level token (the stand-in refuses a bot token).
    assert [(c.status, c.error) for c in slack.calls("apps.connections.open")] == [(200, None)]

    assert socket_bot.terminate(15) == 0, socket_bot.log()
    slack.wait_for(lambda: slack.socket_mode.connections == 0, timeout=5, what="the connection closed")


def test_the_dashboard_is_served_on_this_machine_in_socket_mode(socket_bot, slack):
    """The quick start's set-up: `/case dashboard` gives a link to this machine's PORT, which
    serves the dashboard but no endpoint for Slack (nothing checks signatures in Socket Mode)."""
    alex = SocketModeEventsClient(slack)
    alex.command("dashboard", user="UAGENT", channel="C1")
    answer = slack.wait_for(lambda: slack.responses, timeout=10, what="the reply to /case dashboard")
    link = re.search(r"<(http://localhost:\d+/dashboard/sign-in\?token=[\w-]+)\|", str(answer[-1].body))
    assert link, answer[-1].body
    with urllib.request.urlopen(link.group(1)) as page:
        assert "Sign in to the dashboard" in page.read().decode()
    port = link.group(1).split(":")[2].split("/")[0]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(f"http://localhost:{port}/slack/events", data=b"{}"))
    assert refused.value.code == 404


def test_the_bot_reconnects_when_slack_refreshes_the_connection(socket_bot, slack):
    slack.socket_mode.disconnect("refresh_requested")
    # A new URL, a new connection, and the old one closed; the new one carries the next command.
    slack.wait_for(
        lambda: slack.socket_mode.connections_opened == 2 and slack.socket_mode.connections == 1,
        timeout=10,
        what="the bot's new connection in place of the old",
    )
    assert len(slack.calls("apps.connections.open")) == 2
    assert SocketModeEventsClient(slack).command("open Acme: refund", user="UAGENT").status == 200
    slack.wait_for(lambda: any("CASE-1" in m.all_text() for m in slack.messages("C1")), timeout=10)
    assert socket_bot.terminate(15) == 0, socket_bot.log()


def test_the_stand_in_gives_socket_urls_only_to_app_tokens_and_each_url_once(slack):
    with pytest.raises(SlackApiError) as refused:
        WebClient(base_url=slack.base_url).apps_connections_open(app_token="xoxb-bot-token")
    assert refused.value.response["error"] == "not_allowed_token_type"

    url = WebClient(base_url=slack.base_url).apps_connections_open(app_token="xapp-1")["url"]
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    with connect(url) as first:
        assert json.loads(first.recv(timeout=5))["type"] == "hello"
        with pytest.raises(InvalidStatus):
            connect(url)


def test_an_app_token_slack_refuses_stops_start_up_with_one_clear_line(tmp_path, slack, database_url):
    slack.fail("apps.connections.open", status=200, error="invalid_auth")
    process = start_socket_bot(tmp_path, slack, database_url, app_token="xapp-1-A1-revoked")
    try:
        assert process.process.wait(40) == 2
    finally:
        process.kill()
    log = process.log()
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in log and "App-Level Tokens" in log
    assert "Traceback" not in log


def test_slack_out_of_reach_at_start_stops_it_with_one_clear_line(tmp_path, database_url):
    # Nothing listens on this port: the machine can't reach Slack (no network, a proxy, DNS).
    env = bot_env(
        SLACK_APP_TOKEN="xapp-1-A1-socket-token",
        SLACK_BOT_TOKEN="xoxb-socket-token",
        SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
        DATABASE_URL=database_url,
    )
    migrate(env, tmp_path)
    process = BotProcess("run", env, tmp_path)
    try:
        assert process.process.wait(60) == 2
    finally:
        process.kill()
    log = process.log()
    assert "can't reach Slack to open the Socket Mode connection" in log, log
    assert "Traceback" not in log
