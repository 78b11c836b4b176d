"""Only Slack can drive the bot: a request without a valid signature over the exact body and a
fresh timestamp is answered 401 before any work. Slack's retries are applied once."""

import json
import time
import urllib.parse

import pytest
from sqlalchemy import func, select

from slack_standin import sign
from storage.models import Case, Contact, InboundEvent, Promise
from tests.conftest import SIGNING_SECRET


def count(bot, model):
    with bot.db.transaction() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def command_body(signer, text):
    """A `/case` slash command exactly as Slack form-encodes it."""
    return urllib.parse.urlencode(signer.command_form(text)).encode()


def reply_event_body(signer, text, thread_ts="1700000000.000100"):
    """An Events API delivery of a thread reply: one the inbox would record if it got that far."""
    ts = signer.next_ts()
    envelope = {
        "token": "legacy-verification-token",
        "team_id": "T1",
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": f"EvFORGED{ts.replace('.', '')}",
        "event_time": int(time.time()),
        "event": {
            "type": "message",
            "channel": "C1",
            "user": "UAGENT",
            "text": text,
            "ts": ts,
            "thread_ts": thread_ts,
            "channel_type": "channel",
            "event_ts": ts,
        },
    }
    return json.dumps(envelope).encode()


FORM = "application/x-www-form-urlencoded"


def forged_bad_signature(signer, body, content_type):
    return signer.post(body, content_type, signature="v0=deadbeef")


def forged_wrong_secret(signer, body, content_type):
    stamp = int(time.time())
    return signer.post(body, content_type, timestamp=stamp, signature=sign("not-our-secret", body, stamp))


def forged_stale_timestamp(signer, body, content_type):
    # Correctly signed, but six minutes old: a captured request replayed later.
    stamp = int(time.time()) - 360
    return signer.post(body, content_type, timestamp=stamp, signature=sign(SIGNING_SECRET, body, stamp))


def forged_missing_signature(signer, body, content_type):
    return signer.post(body, content_type, headers={"X-Slack-Signature": None})


def forged_altered_body(signer, body, content_type):
    # Signed, then changed in transit: the signature covers the exact raw body.
    stamp = int(time.time())
    signature = sign(SIGNING_SECRET, body, stamp)
    altered = body.replace(b"UAGENT", b"UOTHER")
    assert altered != body
    return signer.post(altered, content_type, timestamp=stamp, signature=signature)


@pytest.mark.parametrize(
    "forge",
    [
        forged_bad_signature,
        forged_wrong_secret,
        forged_stale_timestamp,
        forged_missing_signature,
        forged_altered_body,
    ],
    ids=lambda f: f.__name__.removeprefix("forged_"),
)
def test_a_request_not_signed_by_slack_is_rejected_before_any_work(forge, agent, signer, slack, bot):
    case = agent.open_case("Acme: refund")
    cases_before = count(bot, Case)
    calls_before, responses_before = len(slack.calls()), len(slack.responses)

    opened = forge(signer, command_body(signer, "open Globex: forged case"), FORM)
    replied = forge(signer, reply_event_body(signer, "forged contact", case.card_ts), "application/json")
    promised = forge(
        signer, reply_event_body(signer, "promise in 1 hour: forged", case.card_ts), "application/json"
    )
    bot.settle()

    assert (opened.status, replied.status, promised.status) == (401, 401, 401)
    assert count(bot, Case) == cases_before
    assert (count(bot, InboundEvent), count(bot, Contact), count(bot, Promise)) == (0, 0, 0)
    assert len(slack.calls()) == calls_before, slack.describe_calls()
    assert len(slack.responses) == responses_before

    # The same requests properly signed are accepted: only the signature kept them out.
    assert signer.post(command_body(signer, "open Globex: real case"), FORM).status == 200
    reply = reply_event_body(signer, "real contact", case.card_ts)
    assert signer.post(reply, "application/json").status == 200
    bot.settle()
    assert count(bot, Case) == cases_before + 1
    assert (count(bot, InboundEvent), count(bot, Contact)) == (1, 1)


def test_an_unsigned_url_verification_is_rejected(signer):
    body = json.dumps({"token": "x", "challenge": "sneaky", "type": "url_verification"}).encode()
    reply = signer.post(body, "application/json", signature="v0=deadbeef")
    assert reply.status == 401 and "sneaky" not in reply.body


def test_url_verification_answers_the_challenge(signer):
    reply = signer.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert reply.status == 200
    answer = reply.json["challenge"] if reply.json else reply.body.strip()
    assert answer == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"


def test_a_replayed_event_is_applied_once(agent, signer, slack, bot):
    case = agent.open_case("Acme: refund")
    first = signer.thread_reply("promise in 2 hours: call back", thread_ts=case.card_ts, user="UAGENT")
    event_id, ts = signer.last_event_id, signer.last_ts
    bot.settle()
    # Slack did not see our 200 in time and delivers the very same event again.
    again = signer.thread_reply(
        "promise in 2 hours: call back",
        thread_ts=case.card_ts,
        user="UAGENT",
        ts=ts,
        event_id=event_id,
        retry_num=1,
    )
    bot.settle()
    bot.tick()
    assert (first.status, again.status) == (200, 200)
    assert (count(bot, InboundEvent), count(bot, Contact), count(bot, Promise)) == (1, 1, 1)
    notes = [m for m in slack.thread("C1", case.card_ts) if "call back" in m.all_text()]
    assert len(notes) == 1
    assert len(slack.calls("reactions.add")) == 1
