"""`kill -9` of a worker at each step of sending a message, then a restart: the message reaches
Slack exactly once. The claim the dead worker held comes back when its lease runs out, and the
new worker looks for the message in Slack (by the notification id in its metadata) before
sending it again."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from bot import cases
from slack_standin import FakeSlackAPI
from storage.db import Database
from tests.conftest import database_url_for_test
from tests.processes import BotProcess, bot_env, migrate

LEASE_SECONDS = 15


def seed_one_card(database_url: str) -> None:
    """One message owed: the card of a case opened while no worker was running."""
    db = Database(database_url)
    with db.transaction() as session:
        cases.open_case(
            session,
            team_id="T1",
            channel_id="C1",
            owner_id="UAGENT",
            customer="Acme",
            summary="refund not received",
            now=datetime.now(UTC),
        )
    db.dispose()


@contextlib.contextmanager
def database_write_lock(database_url: str) -> Iterator[None]:
    """Another client holding the write lock: the worker's 'mark sent' has to wait."""
    engine = create_engine(database_url)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.execute(text("LOCK TABLE notifications IN EXCLUSIVE MODE"))
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


def wait_for_claim(database_url: str, timeout: float = 30) -> None:
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                state = connection.execute(text("SELECT state FROM notifications")).scalar_one()
            if state == "claimed":
                return
            assert time.monotonic() < deadline, f"the worker never claimed the card (state {state})"
            time.sleep(0.05)
    finally:
        engine.dispose()


def posts(slack: FakeSlackAPI, status: int | None = None) -> list:
    return [c for c in slack.calls("chat.postMessage") if status is None or c.status == status]


STEPS = ("after_claim", "after_slack_took_it", "before_recording")


def test_kill_9_at_each_step_of_sending_delivers_exactly_once(tmp_path):
    """The three steps run side by side, each with its own worker, database and Slack: most
    of each is waiting out the dead worker's lease, which need not be waited three times."""
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(len(STEPS)) as pool:
        runs = []
        for step in STEPS:
            workdir = tmp_path / step
            workdir.mkdir()
            url = stack.enter_context(contextlib.contextmanager(database_url_for_test)(workdir))
            slack = stack.enter_context(FakeSlackAPI(team_id="T1"))
            runs.append(pool.submit(kill_and_restart_at, step, workdir, slack, url))
        for run in runs:
            run.result()


def kill_and_restart_at(step: str, tmp_path: Path, live_slack: FakeSlackAPI, database_url: str) -> None:
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-crash",
        SLACK_API_URL=live_slack.base_url,
        DATABASE_URL=database_url,
        CLAIM_LEASE=f"{LEASE_SECONDS}s",
    )
    migrate(env, tmp_path)
    seed_one_card(database_url)
    lock = contextlib.nullcontext()
    if step == "after_claim":
        # The worker has claimed the row and is mid-request; Slack will refuse it (so it never
        # has the message) but only after the worker is dead.
        live_slack.delay("chat.postMessage", 4)
        live_slack.fail("chat.postMessage", status=500, times=1)
    else:
        # Slack stores the message at once and answers late.
        live_slack.delay_answer("chat.postMessage", 1.5 if step == "before_recording" else 4)

    first = BotProcess("worker", env, tmp_path, name="first")
    try:
        if step == "after_claim":
            wait_for_claim(database_url)
            time.sleep(0.5)  # the request follows the claim at once; it is now in the stand-in
        else:
            live_slack.wait_for(lambda: posts(live_slack, 200), timeout=30, what="Slack storing the card")
        if step == "before_recording":
            lock = database_write_lock(database_url)
            lock.__enter__()
            time.sleep(2.5)  # Slack's answer has arrived; the worker now waits on the database
        first.process.kill()  # SIGKILL: no shutdown, no release of the claim
        first.process.wait(10)
    finally:
        first.kill()
        lock.__exit__(None, None, None)
    assert "notification.sent" not in first.log(), f"{step}: the window was missed, the send was recorded"
    if step == "after_claim":
        # Slack refused the request the dead worker had made: it never had the message.
        live_slack.wait_for(lambda: posts(live_slack, 500), timeout=10, what="the refused request")
    live_slack.clear_delays()
    in_slack_before = len(live_slack.messages("C1"))
    assert in_slack_before == (0 if step == "after_claim" else 1), step

    second = BotProcess("worker", env, tmp_path, name="second")
    try:
        second.wait_for_log("notification.sent", timeout=LEASE_SECONDS + 30)
        time.sleep(1)  # a duplicate would show up now
        assert second.terminate() == 0
    finally:
        second.kill()
    cards = live_slack.messages("C1")
    assert len(cards) == 1 and "CASE-1" in cards[0].all_text(), step
    assert len(posts(live_slack, 200)) == 1, step
    # The new worker looked in the channel before deciding whether to post.
    assert live_slack.calls("conversations.history")
    if step != "after_claim":
        assert "notification.found_earlier" in second.log(), step
