"""The worker as an operator runs it (`python -m bot worker`), watched on its own port
(WORKER_PORT): /metrics counts what it sent, /healthz says it is alive, and /readyz goes 503,
with the reason, while its dispatcher can't finish a pass or the database can't be reached. A
port already taken costs the probes, never the sending."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.app.settings import Settings, SettingsError
from slack_standin import FakeSlackAPI
from tests.processes import BotProcess, bot_env, free_port, migrate
from tests.test_crash import database_write_lock, seed_one_card
from tests.test_database_outage import pg_ctl
from tests.test_monitoring import get, scrape


@contextlib.contextmanager
def worker(
    tmp_path, database_url: str, slack: FakeSlackAPI, port: int, *, card_owed: bool = False, **settings: str
) -> Iterator[BotProcess]:
    """`python -m bot worker` on WORKER_PORT=port; `card_owed`: a case was opened while no worker
    ran, so its card is waiting to be sent."""
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-probes",
        SLACK_API_URL=slack.base_url,
        DATABASE_URL=database_url,
        WORKER_PORT=str(port),
        **settings,
    )
    migrate(env, tmp_path)
    if card_owed:
        seed_one_card(database_url)
    process = BotProcess("worker", env, tmp_path)
    try:
        yield process
    finally:
        process.kill()


def wait_for(url: str, status: int, timeout: float = 30) -> str:
    """The body of `url` once it answers `status`."""
    deadline = time.monotonic() + timeout
    while True:
        answered, body = get(url)
        if answered == status:
            return body
        assert time.monotonic() < deadline, f"{url} still answers {answered}: {body!r}"
        time.sleep(0.1)


def test_the_worker_counts_what_it_sent_on_its_own_port(tmp_path, database_url):
    with FakeSlackAPI(team_id="T1") as slack:
        port = free_port()
        with worker(tmp_path, database_url, slack, port, card_owed=True) as process:
            url = process.wait_healthy(port)
            slack.wait_for(lambda: slack.messages("C1"), timeout=30, what="the card")
            wait_for(url + "/readyz", 200)
            # Slack has the card a moment before the worker has recorded it as sent.
            deadline = time.monotonic() + 30
            while True:
                scraped = scrape(url)
                sent = scraped.count(
                    "casekeeper_notification_outcomes_total", kind="case_card", outcome="sent"
                )
                if sent or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert sent == 1
            assert scraped.count("casekeeper_notification_lateness_seconds_count", kind="case_card") == 1
            assert scraped.get("casekeeper_notifications_pending", kind="case_card") == 0
            assert scraped.get("casekeeper_cases_open") == 1
            assert scraped.get("casekeeper_database_up") == 1
            assert scraped.get("casekeeper_dispatcher_last_pass_age_seconds") < 30
            assert get(url + "/slack/events")[0] == 404, "a worker takes nothing from Slack"
            assert process.terminate() == 0


def test_readyz_goes_503_while_the_dispatcher_cannot_finish_a_pass(tmp_path, database_url):
    with FakeSlackAPI(team_id="T1") as slack:
        port = free_port()
        with worker(tmp_path, database_url, slack, port, DISPATCHER_STALLED_AFTER="5s") as process:
            url = process.wait_healthy(port)
            assert wait_for(url + "/readyz", 200) == "ready\n"
            # Another client holds the outbox's write lock: every pass waits on it, and fails.
            with database_write_lock(database_url):
                reason = wait_for(url + "/readyz", 503, timeout=40)
                assert reason.startswith("dispatcher has not finished a pass in ")
                assert "DISPATCHER_STALLED_AFTER=5s" in reason
                # Alive all the same: a restart is not what it needs.
                assert get(url + "/healthz") == (200, "ok\n")
                assert scrape(url).get("casekeeper_dispatcher_last_pass_age_seconds") > 5
            assert wait_for(url + "/readyz", 200, timeout=40) == "ready\n"


def test_a_worker_whose_port_is_taken_says_so_and_sends_all_the_same(tmp_path, database_url):
    with FakeSlackAPI(team_id="T1") as slack, socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with worker(tmp_path, database_url, slack, port, card_owed=True) as process:
            slack.wait_for(lambda: slack.messages("C1"), timeout=30, what="the card, sent all the same")
            process.wait_for_log(f"probes.port_unavailable port={port}")
            assert process.log().count("probes.port_unavailable") == 1
            assert process.terminate() == 0


@pytest.mark.skipif(
    not os.environ.get("TEST_PG_DATADIR"),
    reason="needs a PostgreSQL server the test may stop and start (scripts/with-postgres)",
)
def test_readyz_goes_503_while_the_database_is_down(tmp_path, database_url):
    with FakeSlackAPI(team_id="T1") as slack:
        port = free_port()
        with worker(tmp_path, database_url, slack, port) as process:
            url = process.wait_healthy(port)
            wait_for(url + "/readyz", 200)
            pg_ctl("stop")
            try:
                assert wait_for(url + "/readyz", 503) == "database unreachable\n"
                assert get(url + "/healthz")[0] == 503
                # The scrape still answers, and says what it could not read.
                assert scrape(url).get("casekeeper_database_up") == 0
            finally:
                pg_ctl("start")
            assert wait_for(url + "/readyz", 200, timeout=60) == "ready\n"


def test_the_worker_port_and_the_stall_are_checked_at_start():
    assert Settings.from_env({}).worker_port == 3001, "beside the web's 3000 on one box"
    assert Settings.from_env({"WORKER_PORT": "off"}).worker_port is None
    assert Settings.from_env({"WORKER_PORT": "9464"}).worker_port == 9464
    with pytest.raises(SettingsError, match=r"WORKER_PORT='metrics' is not a TCP port number"):
        Settings.from_env({"WORKER_PORT": "metrics"})
    with pytest.raises(SettingsError, match=r"DISPATCHER_STALLED_AFTER must be at least 5s"):
        Settings.from_env({"DISPATCHER_STALLED_AFTER": "2s"})
    stall = Settings.from_env({"DISPATCHER_STALLED_AFTER": "2m"}).dispatcher_stalled_after
    assert stall == timedelta(minutes=2)
