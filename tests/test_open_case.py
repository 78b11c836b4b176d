"""/case open: the card, the thread, the modal."""

import json
import time

from sqlalchemy import func, select

from storage.models import Case


def test_open_posts_a_case_card_naming_case_owner_and_customer(agent, slack):
    result = agent.command("open Acme Corp: refund not received")
    cards = slack.messages("C1")
    assert len(cards) == 1
    card = cards[0]
    assert "CASE-1" in card.text and "Acme Corp" in card.text and "<@UAGENT>" in card.text
    assert card.blocks, "the card is Block Kit"
    assert any(b["type"] == "header" and "CASE-1" in b["text"]["text"] for b in card.blocks)
    assert "refund not received" in card.all_text()
    # The person who opened it is told where its thread is, only they see it.
    assert result.ephemeral and "CASE-1" in result.text


def test_each_case_gets_the_next_number_and_its_own_thread(agent, slack):
    first = agent.open_case("Acme: refund")
    second = agent.open_case("Globex: broken widget")
    assert (first.ref, second.ref) == ("CASE-1", "CASE-2")
    assert first.card_ts != second.card_ts


def test_open_acks_fast_even_when_slack_is_slow(agent, slack, bot, signer):
    slack.delay("chat.postMessage", 4.0)
    started = time.monotonic()
    reply = signer.command("open Acme: slow day", user="UAGENT")
    assert reply.status == 200
    assert time.monotonic() - started < 2.0, "ack must not wait for chat.postMessage"
    bot.settle(15)
    assert slack.messages("C1") and "CASE-1" in slack.messages("C1")[0].text


def test_open_without_text_opens_a_modal_and_its_submission_opens_the_case(agent, slack, signer, bot):
    agent.command("open")
    opened = slack.calls("views.open")
    assert len(opened) == 1
    view = opened[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "casekeeper.open_case"
    submission = {
        "type": "view_submission",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "UAGENT", "name": "alex", "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "t.1",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "state": {
                "values": {
                    "customer": {"customer_input": {"type": "plain_text_input", "value": "Initech"}},
                    "summary": {"summary_input": {"type": "plain_text_input", "value": "TPS report lost"}},
                }
            },
        },
    }
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps(submission)}).encode()
    reply = signer.post(body, "application/x-www-form-urlencoded")
    assert reply.status == 200
    bot.settle()
    card = slack.messages("C1")[-1]
    assert "CASE-1" in card.text and "Initech" in card.text


def test_modal_without_summary_shows_the_error_in_the_field(agent, slack, signer, bot):
    submission = {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "UAGENT", "team_id": "T1"},
        "api_app_id": "A1",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "casekeeper.open_case",
            "private_metadata": json.dumps({"channel_id": "C1"}),
            "state": {
                "values": {
                    "customer": {"customer_input": {"type": "plain_text_input", "value": "Initech"}},
                    "summary": {"summary_input": {"type": "plain_text_input", "value": "  "}},
                }
            },
        },
    }
    from urllib.parse import urlencode

    reply = signer.post(
        urlencode({"payload": json.dumps(submission)}).encode(), "application/x-www-form-urlencoded"
    )
    assert reply.status == 200
    assert reply.json["response_action"] == "errors" and "summary" in reply.json["errors"]
    bot.settle()
    assert slack.messages("C1") == []


def test_card_in_a_channel_the_bot_is_not_in_joins_it_first(agent, slack):
    slack.set_channel("C2", member=False)
    agent.command("open Acme: refund", channel="C2")
    assert slack.calls("conversations.join")
    assert "CASE-1" in slack.messages("C2")[0].text


def test_card_refused_tells_the_person_and_keeps_the_case(agent, slack):
    slack.set_channel("G9", member=False)  # a private channel: the bot cannot join by itself
    result = agent.command("open Acme: refund", channel="G9")
    assert "CASE-1 is saved" in result.text and "/invite" in result.text
    shown = agent.command("show CASE-1", channel="G9")
    assert "Acme" in shown.text


def test_once_invited_into_the_private_channel_the_bot_posts_the_card_and_no_second_case(agent, slack, bot):
    slack.set_channel("G9", member=False)
    agent.command("open Acme: refund", channel="G9")
    assert slack.messages("G9") == []
    # The advice is to invite the bot, not to open the case again (that would make two).
    slack.set_channel("G9", member=True)
    joined = agent.client.event(
        {
            "type": "message",
            "subtype": "channel_join",
            "channel": "G9",
            "user": slack.bot_user_id,
            "text": f"<@{slack.bot_user_id}> has joined the channel",
            "ts": agent.client.next_ts(),
        }
    )
    assert joined.status == 200
    bot.settle()
    cards = slack.messages("G9")
    assert len(cards) == 1 and "CASE-1" in cards[0].all_text()
    with bot.db.transaction() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 1
    # Someone else joining the channel posts nothing more.
    agent.client.event(
        {
            "type": "message",
            "subtype": "channel_join",
            "channel": "G9",
            "user": "UOTHER",
            "ts": agent.client.next_ts(),
        }
    )
    bot.settle()
    assert len(slack.messages("G9")) == 1


def test_without_a_colon_the_reply_says_how_it_was_read(agent, slack):
    result = agent.command("open Acme Corp refund not received")
    assert "CASE-1 is open" in result.text
    assert (
        "Customer: not given" in result.text and "`/case open Acme Corp: refund not received`" in result.text
    )
    named = agent.command("open Globex: invoice twice")
    assert "CASE-2 is open" in named.text and "not given" not in named.text
