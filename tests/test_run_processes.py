"""`python -m bot` (run) is the web process and a worker it starts beside it; `web` and `worker`
started apart (the Procfile) share the inbox the same way. What an operator relies on: replies
are logged whichever way it runs, the worker never outlives the bot, a worker that dies is
started again, and the events a worker held when it died are taken up by the next one."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from slack_standin import FakeSlackAPI, SlackEventsClient
from storage.models import Contact
from tests.processes import BotProcess, bot_env, free_port, migrate

SECRET = "processes-secret"


def children(pid: int) -> list[int]:
    """Child processes, whichever thread started them (Linux lists them per thread)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue  # the thread just ended
    return sorted(found)


def alive(pid: int) -> bool:
    try:
        # A zombie is gone for our purpose: it has exited, its parent just hasn't reaped it.
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def contacts(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(Contact.text).order_by(Contact.id)).scalars())
    finally:
        engine.dispose()


@pytest.fixture
def operator(tmp_path: Path, database_url: str) -> Any:
    slack = FakeSlackAPI(team_id="T1").start()
    slack.set_user("UAGENT", name="alex", tz="America/New_York")
    port = free_port()
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-processes",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=slack.base_url,
        DATABASE_URL=database_url,
        PORT=str(port),
    )
    migrate(env, tmp_path)
    started: list[BotProcess] = []

    def start(command: str = "run", **more: str) -> BotProcess:
        process = BotProcess(command, {**env, **more}, tmp_path, name=f"{command}{len(started)}")
        started.append(process)
        return process

    def client() -> SlackEventsClient:
        return SlackEventsClient(f"http://127.0.0.1:{port}", SECRET, api=slack)

    try:
        yield slack, start, client, port
    finally:
        for process in started:
            process.kill()
        slack.stop()


def open_case(slack: FakeSlackAPI, client: SlackEventsClient) -> Any:
    assert client.command("open Acme: parcel lost", user="UAGENT").status == 200
    return slack.wait_for(lambda: next(iter(slack.messages("C1")), None), timeout=20, what="the case card")


def test_run_logs_replies_in_its_worker_and_the_worker_ends_with_it(operator, database_url):
    slack, start, client, port = operator
    bot = start()
    bot.wait_healthy(port)
    workers = wait(lambda: children(bot.process.pid), 20, "the worker process")
    assert len(workers) == 1
    card = open_case(slack, client())
    assert client().thread_reply("Called the customer", thread_ts=card.ts, user="UAGENT").status == 200
    wait(lambda: contacts(database_url) == ["Called the customer"], 20, "the reply logged")
    # Killed outright, as a crash or an OOM kill does: its worker must not live on.
    bot.process.kill()
    bot.process.wait(10)
    wait(lambda: not alive(workers[0]), 30, "the worker to end with the bot")


def test_a_worker_that_dies_is_started_again_and_logs_what_waited(operator, database_url):
    slack, start, client, port = operator
    bot = start()
    bot.wait_healthy(port)
    card = open_case(slack, client())
    (first,) = wait(lambda: children(bot.process.pid), 20, "the worker process")
    os.kill(first, signal.SIGKILL)
    # Acked and kept while no worker runs; logged by the next one.
    assert client().thread_reply("Left a voicemail", thread_ts=card.ts, user="UAGENT").status == 200
    second = wait(lambda: [pid for pid in children(bot.process.pid) if pid != first], 30, "a new worker")
    assert second
    wait(lambda: contacts(database_url) == ["Left a voicemail"], 30, "the reply logged by the new worker")
    assert "worker.child_died" in bot.log()
    assert bot.terminate() == 0


def test_web_and_worker_apart_share_the_inbox(operator, database_url):
    slack, start, client, port = operator
    web = start("web")
    web.wait_healthy(port)
    assert children(web.process.pid) == [], "web alone starts no worker"
    card_client = client()
    assert card_client.command("open Acme: parcel lost", user="UAGENT").status == 200
    card = slack.wait_for(lambda: next(iter(slack.messages("C1")), None), timeout=20, what="the case card")
    assert card_client.thread_reply("Emailed the label", thread_ts=card.ts, user="UAGENT").status == 200
    time.sleep(0.5)
    assert contacts(database_url) == [], "the web process only records events"
    start("worker")
    wait(lambda: contacts(database_url) == ["Emailed the label"], 30, "the worker to log the reply")
    wait(lambda: slack.reactions, 20, "the reply's reaction")


def test_run_on_the_port_its_worker_would_probe_on_still_starts_and_logs_replies(operator, database_url):
    slack, start, client, port = operator
    # PORT is the worker's default probe port: the web process keeps it, the worker goes unprobed.
    bot = start(WORKER_PORT=str(port))
    bot.wait_healthy(port)
    card = open_case(slack, client())
    assert client().thread_reply("Called the customer", thread_ts=card.ts, user="UAGENT").status == 200
    wait(lambda: contacts(database_url) == ["Called the customer"], 20, "the reply logged")
    assert "probes.port_unavailable" not in bot.log()
    assert bot.terminate() == 0
