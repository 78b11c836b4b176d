"""PostgreSQL goes away mid-run and comes back. While it is down, a person's command gets a
clear "nothing was recorded, try again" and an event is answered with an error so Slack
retries it; /healthz says 503. When it is back the same process carries on, no restart: the
retry is logged once, reminders go out, and everything recorded before the fault is there."""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from slack_standin import FakeSlackAPI, SlackEventsClient, texts_in
from tests.processes import BotProcess, bot_env, free_port, migrate

SECRET = "outage-secret"

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_PG_DATADIR"),
    reason="needs a PostgreSQL server the test may stop and start (scripts/with-postgres)",
)


def pg_ctl(action: str) -> None:
    """Stop or start the shared test server (the options it was started with are kept)."""
    command = [str(Path(os.environ["TEST_PG_BIN"]) / "pg_ctl"), "-D", os.environ["TEST_PG_DATADIR"], "-w"]
    if action == "stop":
        command += ["-m", "fast", "stop"]
    else:
        options = Path(os.environ["TEST_PG_DATADIR"], "postmaster.opts").read_text().split(" ", 1)[1]
        command += ["-l", os.environ["TEST_PG_DATADIR"] + "/server.log", "-o", options.strip(), "start"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def health(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def shown(slack: FakeSlackAPI, since: int) -> str:
    return "\n".join("\n".join(texts_in(r.body)) for r in slack.responses[since:])


def test_postgres_restarted_mid_run_loses_nothing_and_the_process_recovers(tmp_path, database_url):
    with FakeSlackAPI(team_id="T1") as slack:
        slack.set_user("UAGENT", name="alex", tz="America/New_York")
        port = free_port()
        env = bot_env(
            SLACK_BOT_TOKEN="xoxb-outage",
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.base_url,
            DATABASE_URL=database_url,
            PORT=str(port),
            REMINDER_LEAD="5s",
        )
        migrate(env, tmp_path)
        bot = BotProcess("run", env, tmp_path)
        try:
            url = bot.wait_healthy(port)
            alex = SlackEventsClient(url, SECRET, api=slack)
            alex.command("open Acme Corp: refund not received")
            card = slack.wait_for(lambda: next(iter(slack.messages("C1")), None), timeout=20)
            alex.thread_reply("Called the customer before the outage", thread_ts=card.ts)
            slack.wait_for(lambda: slack.calls("reactions.add"), timeout=20)

            pg_ctl("stop")
            try:
                assert health(url) == 503
                before = len(slack.responses)
                assert alex.command("promise CASE-1 in 30 seconds: call back").status == 200
                slack.wait_for(lambda: len(slack.responses) > before, timeout=30, what="the reply")
                told = shown(slack, before)
                assert "couldn't reach my database, so nothing was recorded" in told, told
                reply = alex.thread_reply("Customer called back during the outage", thread_ts=card.ts)
                assert reply.status >= 500, "Slack must be told to retry an event we could not record"
                event_id, ts = alex.last_event_id, alex.last_ts
            finally:
                pg_ctl("start")

            slack.wait_for(lambda: health(url) == 200, timeout=30, what="/healthz back to 200")
            # Slack's retry of the event that failed.
            retry = alex.thread_reply(
                "Customer called back during the outage",
                thread_ts=card.ts,
                ts=ts,
                event_id=event_id,
                retry_num=1,
            )
            assert retry.status == 200
            before = len(slack.responses)
            alex.command("promise CASE-1 in 10 seconds: call back")
            slack.wait_for(lambda: slack.dms_to("UAGENT"), timeout=30, what="the reminder after recovery")
            before = len(slack.responses)
            alex.command("show CASE-1")
            slack.wait_for(lambda: len(slack.responses) > before, timeout=20)
            case = shown(slack, before)
            assert "Called the customer before the outage" in case
            assert case.count("Customer called back during the outage") == 1
            assert "Contacts (2)" in case
            assert "database_unavailable" in bot.log()
            assert bot.terminate() == 0
        finally:
            bot.kill()
