"""Logs an operator can feed to a pipeline: LOG_FORMAT=json gives one JSON object per line with
the event's fields as keys, and no Slack token or secret ever reaches a log line."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from bot.app.logs import JsonFormatter, Redactor, TextFormatter
from slack_standin import SlackEventsClient
from tests.processes import BotProcess, bot_env, free_port, migrate

# Nothing here depends on which database is behind the bot: run once, on SQLite.
pytestmark = pytest.mark.backend_independent

BOT_TOKEN = "xoxb-1111111111-2222222222-NeverLogThisToken"
SIGNING_SECRET = "0123456789abcdef-never-log-this-secret"


def record(msg: str, *args: object, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("bot.test", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_an_event_and_its_fields_become_json_keys():
    line = JsonFormatter(Redactor()).format(
        record("notification.sent id=%s kind=%s lateness_ms=%s", 7, "reminder", 12)
    )
    entry = json.loads(line)
    assert entry["event"] == "notification.sent"
    assert (entry["id"], entry["kind"], entry["lateness_ms"]) == (7, "reminder", 12)
    assert entry["level"] == "warning" and entry["logger"] == "bot.test" and entry["at"].endswith("+00:00")


def test_a_message_not_in_event_style_is_kept_whole():
    entry = json.loads(JsonFormatter(Redactor()).format(record("Scheduler started at %s", "noon")))
    assert entry["event"] == "Scheduler started at noon"


def test_a_field_named_like_a_reserved_key_does_not_overwrite_it():
    entry = json.loads(JsonFormatter(Redactor()).format(record("web.thing level=%s event=%s", 3, "x")))
    assert entry["level"] == "warning" and entry["event"] == "web.thing"
    assert entry["field_level"] == 3 and entry["field_event"] == "x"


def test_tokens_and_secrets_are_masked_in_messages_and_tracebacks():
    redact = Redactor([SIGNING_SECRET, "short"])
    try:
        raise RuntimeError(f"auth failed for {BOT_TOKEN} with xapp-1-A111-222-abc")
    except RuntimeError:
        failure = sys.exc_info()
    for formatter in (JsonFormatter(redact), TextFormatter(redact)):
        line = formatter.format(record("slack.call_failed secret=%s", SIGNING_SECRET, exc_info=failure))
        assert BOT_TOKEN not in line and SIGNING_SECRET not in line and "xapp-1-A111" not in line
        assert "xoxb-[redacted]" in line and "xapp-[redacted]" in line and "[secret]" in line
    # Secrets of 4 characters and more are masked; shorter would mask ordinary words.
    assert "short" not in redact("a short line")  # 5 characters: masked
    assert Redactor(["pw"])("a pw line") == "a pw line"  # under 4: would mask words, not kept
    # Escaped in JSON, percent-encoded in a URL, or glued to a word: still masked.
    quoted = Redactor(['se"cr%et'])
    assert quoted(json.dumps({"x": 'se"cr%et'})) == '{"x": "[secret]"}'
    assert quoted("pw=se%22cr%25et") == "pw=[secret]"
    assert (
        Redactor()("Bearer%20xoxb-123-abc and _xoxb-456-def")
        == "Bearer%20xoxb-[redacted] and _xoxb-[redacted]"
    )


def test_a_whole_run_logs_json_lines_and_never_a_credential(tmp_path, slack):
    port = free_port()
    env = bot_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        PORT=str(port),
        LOG_FORMAT="json",
    )
    migrate(env, tmp_path)
    bot = BotProcess("run", env, tmp_path)
    try:
        url = bot.wait_healthy(port)
        alex = SlackEventsClient(url, SIGNING_SECRET, api=slack)
        # The first post fails, and Slack's error text happens to carry the token and the
        # secret (as an upstream proxy's error page might): the retry is logged, masked.
        slack.fail("chat.postMessage", status=500, times=1, error=f"proxy said {BOT_TOKEN} {SIGNING_SECRET}")
        assert alex.command("open Acme Corp: refund not received").status == 200
        card = slack.wait_for(lambda: next(iter(slack.messages("C1")), None), timeout=20)
        assert alex.thread_reply("Called the customer", thread_ts=card.ts).status == 200
        slack.wait_for(lambda: slack.calls("reactions.add"), timeout=10)
        assert SlackEventsClient(url, "not-the-secret", api=slack).command("list").status == 401
        assert bot.terminate() == 0
    finally:
        bot.kill()
    lines = bot.log().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"at", "level", "logger", "event"} <= entry.keys() for entry in entries)
    events = {entry["event"]: entry for entry in entries}
    assert {"web.listening", "notification.retry", "notification.sent", "shutdown.done"} <= events.keys()
    sent = [entry for entry in entries if entry["event"] == "notification.sent"]
    assert {entry["kind"] for entry in sent} == {"case_card", "contact_reaction", "card_update"}
    assert all(isinstance(entry["id"], int) for entry in sent)
    whole = bot.log()
    assert BOT_TOKEN not in whole and SIGNING_SECRET not in whole
