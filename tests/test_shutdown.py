"""SIGTERM, as a platform sends it on every deploy: the bot stops taking requests, finishes the
ones it has (and the work they started), gives back the notifications it claimed but did not
send, and exits 0. Nothing is lost and nothing is sent twice across the restart."""

from __future__ import annotations

import re
import socket
import threading
import time
import urllib.parse
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from bot import cases, promises, team
from slack_standin import FakeSlackAPI, SlackEventsClient, sign
from storage.db import Database
from storage.models import Notification, NotificationKind
from tests.conftest import seeding_policy
from tests.processes import BotProcess, bot_env, free_port, migrate

SECRET = "shutdown-secret"


@pytest.fixture
def live_slack():
    """The stand-in on real time: these tests run the bot on the system clock."""
    with FakeSlackAPI(team_id="T1") as api:
        api.set_user("UAGENT", name="alex", tz="America/New_York")
        yield api


def signed_command(slack: FakeSlackAPI, text: str) -> tuple[bytes, dict[str, str]]:
    """A `/case` command as Slack sends it, as bytes and headers to write by hand."""
    body = urllib.parse.urlencode(
        SlackEventsClient("http://unused", SECRET, api=slack).command_form(text)
    ).encode()
    stamp = int(datetime.now(UTC).timestamp())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": str(len(body)),
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(SECRET, body, stamp),
    }
    return body, headers


def read_response(connection: socket.socket) -> str:
    """One whole HTTP/1.1 response (status line, headers, Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return data.decode()
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += connection.recv(4096)
    return (head + b"\r\n\r\n" + body).decode()


HEALTH_CHECK = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


def test_a_request_still_arriving_at_sigterm_is_answered_and_its_work_done(
    tmp_path, live_slack, database_url
):
    port = free_port()
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-shutdown",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=live_slack.base_url,
        DATABASE_URL=database_url,
        PORT=str(port),
    )
    migrate(env, tmp_path)
    bot = BotProcess("run", env, tmp_path)
    try:
        bot.wait_healthy(port)
        # Slack is slow: the card is posted well after the command is acknowledged.
        live_slack.delay("chat.postMessage", 1.5)
        body, headers = signed_command(live_slack, "open Acme Corp: refund not received")
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode() + body
        half = len(request) - len(body) // 2
        # A keep-alive connection left idle after its request, as Slack's may be: it must not
        # hold the process open until the server's idle timeout.
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)
        idle.sendall(HEALTH_CHECK)
        assert read_response(idle).startswith("HTTP/1.1 200")
        with idle, socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(HEALTH_CHECK)
            assert read_response(connection).startswith("HTTP/1.1 200")
            connection.sendall(request[:half])
            bot.process.send_signal(15)
            bot.wait_for_log("shutdown.requested")
            live_slack.wait_for(lambda: refused(port), timeout=5, what="the listening socket closed")
            connection.sendall(request[half:])
            answer = read_response(connection)
            assert answer.startswith("HTTP/1.1 200"), answer
            assert bot.process.wait(15) == 0, bot.log()
    finally:
        bot.kill()
    # The work the command started after its ack finished before the process exited.
    card = live_slack.messages("C1")
    assert len(card) == 1 and "CASE-1" in card[0].all_text()
    assert "shutdown.done" in bot.log()


def seed_due_reminders(database_url: str, count: int) -> dict[int, str]:
    """`count` reminders, their notes in the case thread and the case card, all due the moment
    a worker starts. The escalations are an hour away."""
    db = Database(database_url)
    now = datetime.now(UTC)
    with db.transaction() as session:
        team.set_manager(session, team_id="T1", user_id="UAGENT", manager_id="UMGR", now=now)
        case, _ = cases.open_case(
            session,
            team_id="T1",
            channel_id="C1",
            owner_id="UAGENT",
            customer="Acme",
            summary="refund",
            now=now,
        )
        for number in range(count):
            promises.make_promise(
                session,
                case=case,
                description=f"call back #{number}",
                due_at=now + timedelta(seconds=1),
                made_by="UAGENT",
                now=now,
                policy=seeding_policy(lead=timedelta(0), grace=timedelta(hours=1)),
            )
    with db.transaction() as session:
        # The card is drawn once when it is posted; its redraws (chat.update, not a post) are
        # not what these tests count.
        session.execute(delete(Notification).where(Notification.kind == NotificationKind.CARD_UPDATE))
    with db.transaction() as session:
        planned = {
            row.id: row.kind.value
            for row in session.execute(select(Notification)).scalars()
            if row.run_at.replace(tzinfo=UTC) < now + timedelta(minutes=1)
        }
    db.dispose()
    return planned


def later(database_url: str) -> int:
    """Rows planned for later than a minute from now."""
    db = Database(database_url)
    soon = datetime.now(UTC) + timedelta(minutes=1)
    with db.transaction() as session:
        rows = session.execute(select(Notification.run_at)).scalars().all()
    db.dispose()
    return sum(1 for run_at in rows if run_at.replace(tzinfo=UTC) > soon)


def states(database_url: str) -> Counter:
    db = Database(database_url)
    with db.transaction() as session:
        rows = session.execute(select(Notification.state, func.count()).group_by(Notification.state)).all()
    db.dispose()
    return Counter({state.value: n for state, n in rows})


def test_sigterm_mid_batch_gives_back_unsent_claims_and_a_restart_sends_each_once(
    tmp_path, live_slack, database_url
):
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-shutdown", SLACK_API_URL=live_slack.base_url, DATABASE_URL=database_url
    )
    migrate(env, tmp_path)
    planned = seed_due_reminders(database_url, 8)
    live_slack.delay("chat.postMessage", 0.7)
    first = BotProcess("worker", env, tmp_path, name="first")
    try:
        live_slack.wait_for(lambda: live_slack.calls("chat.postMessage"), timeout=20, what="a first post")
        assert first.terminate() == 0, first.log()
    finally:
        first.kill()
    sent_before = len(live_slack.calls("chat.postMessage"))
    after_stop = states(database_url)
    assert after_stop["claimed"] == 0, after_stop
    assert after_stop["sent"] == sent_before < len(planned), (after_stop, sent_before)
    # The rest went back to pending (beside each promise's escalation levels and their notes,
    # an hour and more away), ready for any worker to take at once.
    assert after_stop["pending"] - later(database_url) == len(planned) - sent_before, after_stop

    live_slack.clear_delays()
    second = BotProcess("worker", env, tmp_path, name="second")
    try:
        live_slack.wait_for(
            lambda: len(live_slack.calls("chat.postMessage")) >= len(planned), timeout=20, what="every post"
        )
        assert second.terminate() == 0, second.log()
    finally:
        second.kill()
    posted = Counter(
        call.params["metadata"]["event_payload"]["notification_id"]
        for call in live_slack.calls("chat.postMessage")
    )
    assert posted == Counter(dict.fromkeys(planned, 1))
    assert states(database_url)["sent"] == len(planned)


@pytest.mark.backend_independent
def test_the_drain_sees_a_request_the_server_has_read_but_not_yet_parsed(
    tmp_path, monkeypatch, live_slack
):
    """Under load the server's loop can be between reading a request off the socket and parsing
    it when the drain looks: the request is then neither in the socket nor in a request object.
    The drain must not take that moment for idle and close the connection under it."""
    from slack_bolt import App
    from slack_sdk import WebClient
    from waitress.channel import HTTPChannel

    from bot.app.web import make_server

    client = WebClient(token="xoxb-drain", base_url=live_slack.base_url)
    app = App(client=client, signing_secret=SECRET)

    @app.command("/slow")
    def slow_command(ack):  # in flight for a while, as a request that does real work
        time.sleep(1.0)
        ack()

    db = Database(f"sqlite:///{tmp_path / 'drain.db'}")
    server = make_server(app, db, host="127.0.0.1", port=0)
    serving = threading.Thread(target=server.serve, daemon=True)
    serving.start()
    slow_reads: set[int] = set()
    read = HTTPChannel.handle_read

    def handle_read_slowly(channel):
        if channel.addr[1] not in slow_reads:
            return read(channel)
        # The loop thread, preempted between recv() and parsing what it got.
        data = channel.recv(channel.adj.recv_bytes)
        time.sleep(1.0)
        if data:
            channel.received(data)

    monkeypatch.setattr(HTTPChannel, "handle_read", handle_read_slowly)
    body = urllib.parse.urlencode({"command": "/slow", "text": "", "team_id": "T1"}).encode()
    stamp = int(datetime.now(UTC).timestamp())
    busy_request = (
        "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nX-Slack-Request-Timestamp: {stamp}\r\n"
        f"X-Slack-Signature: {sign(SECRET, body, stamp)}\r\n\r\n"
    ).encode() + body
    stopping = threading.Thread(target=server.shutdown, kwargs={"grace": 5}, daemon=True)
    try:
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as busy,
            socket.create_connection(("127.0.0.1", server.port), timeout=10) as late,
        ):
            late.sendall(HEALTH_CHECK)
            assert read_response(late).startswith("HTTP/1.1 200")
            busy.sendall(busy_request)
            time.sleep(0.1)
            stopping.start()
            time.sleep(0.4)
            # Arrives while the busy request holds the drain open, and is still being parsed
            # when that one finishes.
            slow_reads.add(late.getsockname()[1])
            late.sendall(busy_request)
            assert read_response(busy).startswith("HTTP/1.1 200")
            answer = read_response(late)
        assert answer.startswith("HTTP/1.1 200"), answer
    finally:
        stopping.join(10)
        serving.join(10)
        db.dispose()
    assert not serving.is_alive()


@pytest.mark.backend_independent
def test_a_request_stalled_half_sent_does_not_hold_the_stop_until_the_grace_runs_out(tmp_path, live_slack):
    """Half a request, then nothing: that is not Slack. While the server runs, such a connection
    is closed after the channel timeout; the drain goes on closing it, rather than waiting for it
    until the grace is spent and the process stops with whatever else is still in flight."""
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.app.web import CHANNEL_TIMEOUT_SECONDS, make_server

    app = App(client=WebClient(token="xoxb-drain", base_url=live_slack.base_url), signing_secret=SECRET)
    db = Database(f"sqlite:///{tmp_path / 'stalled.db'}")
    server = make_server(app, db, host="127.0.0.1", port=0)
    serving = threading.Thread(target=server.serve, daemon=True)
    serving.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as stalled:
            stalled.sendall(
                b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000\r\n\r\nhalf"
            )
            assert server.shutdown(grace=CHANNEL_TIMEOUT_SECONDS + 15)
            assert stalled.recv(1) == b"", "the stalled connection is still open"
    finally:
        serving.join(10)
        db.dispose()
    assert not serving.is_alive()
