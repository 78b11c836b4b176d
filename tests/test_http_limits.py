"""What a client that is not Slack can cost the HTTP server: a body over 1 MiB is refused from its
headers, without the memory to hold it; idle and half-sent connections neither keep the health
check out nor stay open past the channel timeout; and Slack's own requests go on working."""

from __future__ import annotations

import contextlib
import io
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from wsgiref.util import setup_testing_defaults

import pytest

from bot.app.web import CHANNEL_TIMEOUT_SECONDS, CLEANUP_INTERVAL_SECONDS, MAX_BODY_BYTES, wsgi_app
from slack_standin import FakeSlackAPI, SlackEventsClient
from tests.processes import BotProcess, bot_env, free_port, migrate

SECRET = "limits-secret"
MIB = 1024 * 1024
FORM = "application/x-www-form-urlencoded"
# How long a test waits for any one answer: only a hang (or a body read to its end) exceeds it.
WAIT = 5


@pytest.fixture
def live_slack() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(team_id="T1") as api:
        api.set_user("UAGENT", name="alex", tz="America/New_York")
        yield api


@pytest.fixture
def running(tmp_path, live_slack, database_url) -> Iterator[tuple[BotProcess, int]]:
    """`python -m bot run` as an operator starts it, and its port."""
    port = free_port()
    env = bot_env(
        SLACK_BOT_TOKEN="xoxb-limits",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=live_slack.base_url,
        DATABASE_URL=database_url,
        PORT=str(port),
    )
    migrate(env, tmp_path)
    bot = BotProcess("run", env, tmp_path)
    try:
        bot.wait_healthy(port)
        yield bot, port
    finally:
        bot.kill()


def form_body(size: int) -> bytes:
    """A slash command's form, padded to `size` bytes: what Bolt would decode and parse."""
    head = b"command=%2Fcase&team_id=T1&text="
    return head + b"a" * (size - len(head))


def chunked(body: bytes, chunk: int = 64 * 1024) -> bytes:
    pieces = [body[at : at + chunk] for at in range(0, len(body), chunk)]
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


def post_unsigned(port: int, body: bytes, framing: str = "content-length") -> str:
    """POST `body` to /slack/events without a signature, and the response as read while the body
    is sent (on its own thread), or, "headers only", without ever sending it. A server that
    answers from the headers closes the connection under the rest: the sender's error is
    expected then."""
    if framing == "chunked":
        length, body = "Transfer-Encoding: chunked", chunked(body)
    else:
        length = f"Content-Length: {len(body)}"
    head = f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n{length}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as connection:
        connection.sendall(head.encode())

        def send_body() -> None:
            with contextlib.suppress(OSError):
                connection.sendall(body)

        sender = threading.Thread(target=send_body, daemon=True)
        if framing != "headers only":
            sender.start()
        answer = read_response(connection)
    if sender.is_alive():
        sender.join(WAIT)
    return answer


def read_response(connection: socket.socket) -> str:
    """One HTTP response, or as much of it as came before the server closed the connection."""
    data = b""
    try:
        while not complete(data):
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, TimeoutError):
        # Closing with the unread rest of a refused body in its buffer, the server resets the
        # connection: what it sent before that has arrived. A timeout: the caller says so.
        pass
    return data.decode("latin-1")


def complete(data: bytes) -> bool:
    head, separator, body = data.partition(b"\r\n\r\n")
    declared = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    return bool(separator and declared and len(body) >= int(declared.group(1)))


def peak_rss(pid: int) -> int:
    """The process's peak resident memory since reset_peak_rss(), in bytes (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s*(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]


def reset_peak_rss(pid: int) -> None:
    """The peak, not the resident size after the fact: Python gives a big body's memory back to
    the system once the request is over, so only the peak shows what the request cost."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError as error:
        pytest.skip(f"needs /proc/<pid>/clear_refs to measure a peak: {error}")


def health(port: int) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=WAIT) as response:
        return response.status


def slack_still_gets_through(live_slack: FakeSlackAPI, port: int) -> None:
    """A command signed by Slack is answered and its work done: a case card in the channel."""
    slack = SlackEventsClient(f"http://127.0.0.1:{port}", SECRET, api=live_slack, timeout=WAIT)
    reply = slack.command("open Acme Corp: refund not received")
    assert reply.status == 200, reply
    cards = live_slack.wait_for(lambda: live_slack.messages("C1"), timeout=10, what="the case card")
    assert "CASE-1" in cards[0].all_text()


@pytest.mark.parametrize("framing", ["content-length", "chunked", "headers only"])
def test_a_huge_unsigned_post_is_refused_without_the_memory_to_hold_it(framing, running, live_slack):
    bot, port = running
    huge = form_body(20 * MIB)
    reset_peak_rss(bot.process.pid)
    before = peak_rss(bot.process.pid)

    answer = post_unsigned(port, huge, framing)

    # "headers only": the answer must come before the body does.
    assert answer.startswith("HTTP/1.1 413"), answer[:300] or f"no answer within {WAIT} s"
    assert "text/plain" in answer
    # Read whole, decoded and parsed, 20 MiB costs the bot over 100 MiB at its peak.
    grew = peak_rss(bot.process.pid) - before
    assert grew < 10 * MIB, f"peak memory grew by {grew / MIB:.1f} MiB for a refused body"
    assert health(port) == 200
    slack_still_gets_through(live_slack, port)


def half_sent(kind: int) -> bytes:
    """Nothing; half a request line and headers; whole headers and half the body they declare."""
    headers = (
        f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
        "Content-Length: 2000\r\nX-Slack-Request-Timestamp: 1700000000\r\n\r\n"
    ).encode()
    return [b"", headers[: len(headers) // 2], headers + b"a" * 1000][kind % 3]


def closed_by_server(connection: socket.socket, deadline: float) -> bool:
    connection.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_idle_and_half_sent_connections_neither_keep_out_the_health_check_nor_stay_open(running, live_slack):
    bot, port = running
    idle = []
    try:
        for number in range(200):
            connection = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
            idle.append(connection)
            connection.sendall(half_sent(number))

        assert health(port) == 200

        # Each is closed once it has been quiet for the channel timeout (found by the next
        # sweep); the margin is only for a loaded machine.
        deadline = time.monotonic() + CHANNEL_TIMEOUT_SECONDS + CLEANUP_INTERVAL_SECONDS + 10
        still_open = [n for n, c in enumerate(idle) if not closed_by_server(c, deadline)]
        assert not still_open, f"{len(still_open)} of 200 still open, e.g. numbers {still_open[:5]}"
    finally:
        for connection in idle:
            connection.close()
    slack_still_gets_through(live_slack, port)
    assert bot.terminate() == 0, bot.log()


def test_a_body_of_exactly_the_limit_reaches_the_signature_check_and_a_byte_more_does_not(bot):
    port = bot.server.port
    assert post_unsigned(port, form_body(MAX_BODY_BYTES)).startswith("HTTP/1.1 401")
    assert post_unsigned(port, form_body(MAX_BODY_BYTES + 1)).startswith("HTTP/1.1 413")


def test_behind_any_server_the_app_refuses_a_declared_oversize_body_before_reading_it(bot):
    """waitress refuses first; wsgi_app() does not count on it (gunicorn, a test server)."""
    body = io.BytesIO(form_body(MAX_BODY_BYTES + 1))
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_TYPE": FORM,
        "CONTENT_LENGTH": str(MAX_BODY_BYTES + 1),
        "wsgi.input": body,
    }
    setup_testing_defaults(environ)
    answered: list[tuple[str, dict[str, str]]] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered.append((status, dict(headers)))

    chunks = wsgi_app(bot.app, bot.db)(environ, start_response)

    [(status, headers)] = answered
    assert status.startswith("413"), status
    assert headers["Content-Type"] == "text/plain" and b"".join(chunks)
    assert body.tell() == 0, "the body was read"
