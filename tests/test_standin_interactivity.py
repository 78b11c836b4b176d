"""The Slack stand-in's interactivity, tested on its own: what it sends the bot for clicks,
submissions and App Home must be what Slack sends, and what it refuses must be what Slack
refuses, or every test built on it proves nothing.

Most tests here drive a small Bolt app of their own (not casekeeper's handlers), served over
HTTP like the bot, so the rig is checked through the same boundary the bot's tests use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from slack_standin import FakeSlackAPI, SlackEventsClient, SocketModeEventsClient
from tests.conftest import SIGNING_SECRET, Person

SLACK_SPECS = Path(__file__).resolve().parents[2] / "shared" / "slack"


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, text: str, value: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "action_id": action_id, "text": plain(text)}
    if value is not None:
        element["value"] = value
    return element


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def modal(callback_id: str, blocks: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain("A form"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": blocks,
        **extra,
    }


def text_input(block_id: str, action_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(block_id.title()),
        "element": {"type": "plain_text_input", "action_id": action_id, **extra},
    }


def web(slack: FakeSlackAPI) -> WebClient:
    """The bot's side of the Web API, as slack_sdk speaks it."""
    return WebClient(token="xoxb-test", base_url=slack.base_url)


# ---- a small Bolt app behind HTTP, standing in for any bot ------------------------------------------


class _BoltHandler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - inherited signature
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
        self.server.received.append((dict(self.headers.items()), body))
        headers = {name.lower(): [value] for name, value in self.headers.items()}
        response = self.server.app.dispatch(BoltRequest(body=body, headers=headers))
        payload = (response.body or "").encode("utf-8")
        self.send_response(response.status)
        for name, values in response.headers.items():
            for value in values:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class MiniBot:
    """A Bolt app over HTTP on 127.0.0.1. Listeners finish before the answer goes back
    (process_before_response), so settle() has nothing to wait for."""

    def __init__(self, slack: FakeSlackAPI):
        self.app = App(
            client=web(slack),
            signing_secret=SIGNING_SECRET,
            process_before_response=True,
        )
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _BoltHandler)
        self.server.app = self.app  # type: ignore[attr-defined]
        self.server.received = []  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def received(self) -> list[tuple[dict[str, str], str]]:
        return self.server.received  # type: ignore[attr-defined]

    def settle(self) -> None:
        pass

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mini(slack: FakeSlackAPI) -> Any:
    bot = MiniBot(slack)
    yield bot
    bot.stop()


@pytest.fixture
def client(mini: MiniBot, slack: FakeSlackAPI) -> SlackEventsClient:
    return SlackEventsClient(mini.url, SIGNING_SECRET, team_id="T1", api=slack)


@pytest.fixture
def alex(client: SlackEventsClient, slack: FakeSlackAPI, mini: MiniBot) -> Person:
    return Person("UAGENT", client, slack, mini)  # type: ignore[arg-type]


def post_card(slack: FakeSlackAPI) -> Any:
    """A message with two Close buttons sharing an action_id (in different blocks, as Slack
    requires) and a button that opens a form."""
    sent = web(slack).chat_postMessage(
        channel="C1",
        text="Two cases",
        blocks=[
            section("CASE-1", block_id="case-1", accessory=button("close_case", "Close", "1")),
            section("CASE-2", block_id="case-2", accessory=button("close_case", "Close", "2")),
            {"type": "actions", "elements": [button("open_form", "Add details")]},
        ],
    )
    return slack.message("C1", sent["ts"])


# ---- block_actions ---------------------------------------------------------------------------------


def test_a_click_is_a_signed_form_post_with_one_payload_field_in_slacks_shape(alex, slack, mini):
    card = post_card(slack)
    mini.app.action("close_case")(lambda ack: ack())
    alex.click(card, "close_case", value="2")

    headers, body = mini.received[-1]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SIGNING_SECRET).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    form = urllib.parse.parse_qs(body)
    assert list(form) == ["payload"]
    payload = json.loads(form["payload"][0])
    # The fields of Slack's reference (docs.slack.dev/reference/interaction-payloads/block_actions-payload)
    # for a click in a channel message.
    assert set(payload) == {
        "type", "team", "user", "api_app_id", "token", "container", "trigger_id", "channel",
        "message", "state", "response_url", "actions", "is_enterprise_install", "enterprise",
    }  # fmt: skip
    assert payload["type"] == "block_actions"
    assert payload["team"] == {"id": "T1", "domain": "casekeeper-test"}
    assert payload["user"] == {"id": "UAGENT", "username": "alex", "name": "alex", "team_id": "T1"}
    assert payload["container"] == {
        "type": "message",
        "message_ts": card.ts,
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": "C1", "name": "c1"}
    assert payload["message"]["ts"] == card.ts and payload["message"]["bot_id"] == slack.bot_id
    # Slack fills in the block_id the bot left out, in the message as in the action.
    assert all(block.get("block_id") for block in payload["message"]["blocks"])
    [action] = payload["actions"]
    assert action["action_id"] == "close_case" and action["block_id"] == "case-2"
    assert action["type"] == "button" and action["value"] == "2" and action["text"] == plain("Close")
    assert float(action["action_ts"]) > float(card.ts)
    # And Bolt reads it as a block action with everything its listeners get.
    request = BoltRequest(body=body, headers={"content-type": [headers["Content-Type"]]})
    assert request.body["actions"][0]["value"] == "2"
    assert request.context.channel_id == "C1" and request.context.user_id == "UAGENT"


def test_respond_replace_original_changes_the_clicked_message_as_slack_does(alex, slack, mini):
    card = post_card(slack)

    @mini.app.action("close_case")
    def close_case(ack, body, respond):
        ack()
        respond(replace_original=True, text=f"Closed CASE-{body['actions'][0]['value']}")

    alex.click(card, "close_case", value="1")
    now = slack.message("C1", card.ts)
    assert now.text == "Closed CASE-1" and not now.blocks
    assert len(now.history) == 1 and now.history[0]["text"] == "Two cases"
    # The respond() is recorded too, saying where it went.
    [response] = slack.responses
    assert (response.channel, response.user) == ("C1", "UAGENT")


def test_clicking_an_element_that_is_not_there_names_the_ones_that_are(alex, slack, mini):
    card = post_card(slack)
    with pytest.raises(AssertionError) as failure:
        alex.click(card, "reopen_case")
    assert "close_case (button, value='1')" in str(failure.value) and "open_form" in str(failure.value)
    with pytest.raises(AssertionError, match="2 elements match close_case"):
        alex.click(card, "close_case")
    assert mini.received == []


def test_an_ephemeral_is_clicked_only_by_its_person_and_without_a_message(alex, slack, mini, client):
    web(slack).chat_postEphemeral(
        channel="C1",
        user="UAGENT",
        text="Undo?",
        blocks=[{"type": "actions", "elements": [button("undo", "Undo")]}],
    )
    [ephemeral] = slack.ephemerals
    mini.app.action("undo")(lambda ack: ack())
    payload = client.block_action_payload(ephemeral, "undo", user="UAGENT")
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload
    alex.click(ephemeral, "undo")
    with pytest.raises(AssertionError, match="only UAGENT sees"):
        client.block_action_payload(ephemeral, "undo", user="UMGR")


# ---- trigger ids and modals -------------------------------------------------------------------------


def test_trigger_ids_are_single_use_unknown_ones_refused_and_old_ones_expired(slack):
    slack.expect_rejections()
    form = modal("form", [text_input("name", "name_in")])
    trigger = slack.issue_trigger("UAGENT")
    opened = web(slack).views_open(trigger_id=trigger, view=form)
    assert opened["view"]["id"] and slack.last_view("UAGENT").callback_id == "form"

    for trigger_id, error in [
        (trigger, "exchanged_trigger_id"),
        ("12345.98765.abcd2358fdea", "invalid_trigger_id"),
    ]:
        with pytest.raises(SlackApiError) as refused:
            web(slack).views_open(trigger_id=trigger_id, view=form)
        assert refused.value.response["error"] == error

    slack.trigger_ttl = 0.05
    late = slack.issue_trigger("UAGENT")
    time.sleep(0.1)
    with pytest.raises(SlackApiError) as expired:
        web(slack).views_open(trigger_id=late, view=form)
    assert expired.value.response["error"] == "expired_trigger_id"
    assert [r.error for r in slack.rejected] == [
        "exchanged_trigger_id",
        "invalid_trigger_id",
        "expired_trigger_id",
    ]
    assert len(slack.open_views("UAGENT")) == 1


def test_a_slash_commands_trigger_id_opens_a_modal_for_whoever_typed_it(slack, client):
    form = client.command_form("open", user="UMGR")
    web(slack).views_open(trigger_id=form["trigger_id"], view=modal("form", [text_input("name", "name_in")]))
    assert [v.user for v in slack.open_views()] == ["UMGR"]


def test_views_update_refuses_a_stale_hash_and_finds_views_by_external_id(slack):
    slack.expect_rejections()
    client = web(slack)
    view = client.views_open(
        trigger_id=slack.issue_trigger("UAGENT"),
        view=modal("form", [text_input("name", "name_in")], external_id="form-42"),
    )["view"]
    updated = client.views_update(
        view_id=view["id"],
        hash=view["hash"],
        view=modal("form", [text_input("name", "name_in"), section("Hi")], external_id="form-42"),
    )["view"]
    assert updated["id"] == view["id"] and updated["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=view["id"], hash=view["hash"], view=modal("form", [section("Late")]))
    assert stale.value.response["error"] == "hash_conflict"
    client.views_update(
        external_id="form-42", view=modal("form", [section("By external id")], external_id="form-42")
    )
    stored = slack.view(view["id"])
    assert stored.mentions("By external id") and len(stored.history) == 2
    with pytest.raises(SlackApiError) as missing:
        client.views_update(view_id="VNOPE", view=modal("form", [section("x")]))
    assert missing.value.response["error"] == "not_found"
    # A stale hash is a race the bot must handle, not a malformed call.
    assert slack.rejected == []


def test_views_push_stacks_on_the_modal_the_click_came_from(alex, slack, mini):
    slack.expect_rejections()
    card = post_card(slack)

    @mini.app.action("open_form")
    def open_form(ack, body, client):
        ack()
        client.views_open(
            trigger_id=body["trigger_id"],
            view=modal(
                "form",
                [text_input("name", "name_in"), {"type": "actions", "elements": [button("more", "More")]}],
            ),
        )

    @mini.app.action("more")
    def more(ack, body, client):
        ack()
        client.views_push(trigger_id=body["trigger_id"], view=modal("more", [text_input("note", "note_in")]))

    alex.click(card, "open_form")
    form = alex.modal("form")
    alex.click(form, "more")
    pushed = alex.modal()
    assert pushed.callback_id == "more"
    assert pushed.view["previous_view_id"] == form.id and pushed.view["root_view_id"] == form.id
    # A trigger from a message has no modal to push onto.
    with pytest.raises(SlackApiError) as refused:
        web(slack).views_push(trigger_id=slack.issue_trigger("UAGENT"), view=modal("x", [section("x")]))
    assert refused.value.response["error"] == "not_found"


def test_submit_closes_on_an_empty_ack_and_keeps_the_modal_with_errors(alex, slack, mini):
    card = post_card(slack)
    names = []

    @mini.app.action("open_form")
    def open_form(ack, body, client):
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=modal("form", [text_input("name", "name_in")]))

    @mini.app.view("form")
    def save(ack, view):
        name = view["state"]["values"]["name"]["name_in"]["value"]
        if len(name) < 3:
            ack(response_action="errors", errors={"name": "At least 3 letters."})
            return
        names.append(name)
        ack()

    alex.click(card, "open_form")
    form = alex.modal("form")
    refused = alex.submit(form, {"name": "Al"})
    assert refused.json == {"response_action": "errors", "errors": {"name": "At least 3 letters."}}
    assert alex.modal("form").state == {"name": {"name_in": {"type": "plain_text_input", "value": "Al"}}}
    assert alex.submit(form, {"name": "Alex"}).body == ""
    assert names == ["Alex"] and slack.open_views("UAGENT") == [] and slack.view(form.id).closed
    with pytest.raises(AssertionError, match="is closed"):
        alex.submit(form, {"name": "Again"})


def test_errors_for_a_block_that_is_not_an_input_are_recorded(alex, slack, mini):
    slack.expect_rejections()
    web(slack).views_open(
        trigger_id=slack.issue_trigger("UAGENT"), view=modal("form", [text_input("name", "name_in")])
    )
    mini.app.view("form")(lambda ack: ack(response_action="errors", errors={"summary": "Say more."}))
    alex.submit(alex.modal("form"), {"name": "x"})
    [rejection] = slack.rejected
    assert rejection.error == "invalid_errors" and "summary" in rejection.reason


# ---- state.values ---------------------------------------------------------------------------------


def field(
    block_id: str, kind: str, action_id: str, *, optional: bool = False, **extra: Any
) -> dict[str, Any]:
    """An input block holding one element of `kind`."""
    element = {"type": kind, "action_id": action_id, **extra}
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(block_id),
        "element": element,
    }


SHAPES = modal(
    "shapes",
    [
        field("text", "plain_text_input", "text_in"),
        field("when", "datepicker", "date_in"),
        field("at", "timepicker", "time_in"),
        field("pick", "static_select", "select_in", options=[option("Ay", "a"), option("Bee", "b")]),
        field("radio", "radio_buttons", "radio_in", options=[option("Ex", "x"), option("Why", "y")]),
        field(
            "boxes", "checkboxes", "boxes_in", options=[option("P", "p"), option("Q", "q"), option("R", "r")]
        ),
        field("who", "users_select", "user_in"),
        field("count", "number_input", "number_in", is_decimal_allowed=False),
        field("note", "plain_text_input", "note_in", optional=True),
        field("extra", "checkboxes", "extra_in", optional=True, options=[option("Z", "z")]),
        field("day", "datepicker", "day_in", optional=True, initial_date="2026-12-01"),
    ],
)

FILLED = {
    "text": "Hello",
    "when": date(2026, 11, 24),
    "at": "15:30",
    "pick": "b",  # by value
    "radio": "Why",  # or by the text a person sees
    "boxes": ["p", "r"],
    "who": "UMGR",
    "count": 3,
}


def test_state_values_have_slacks_shape_for_each_element_and_nulls_for_unfilled_inputs(slack, client):
    web(slack).views_open(trigger_id=slack.issue_trigger("UAGENT"), view=SHAPES)
    payload = client.view_submission_payload(slack.last_view("UAGENT"), FILLED)
    assert payload["type"] == "view_submission"
    view = payload["view"]
    assert view["callback_id"] == "shapes" and view["hash"] == slack.last_view("UAGENT").hash
    assert view["id"] == slack.last_view("UAGENT").id and view["private_metadata"] == ""
    assert view["state"]["values"] == {
        "text": {"text_in": {"type": "plain_text_input", "value": "Hello"}},
        "when": {"date_in": {"type": "datepicker", "selected_date": "2026-11-24"}},
        "at": {"time_in": {"type": "timepicker", "selected_time": "15:30"}},
        "pick": {"select_in": {"type": "static_select", "selected_option": option("Bee", "b")}},
        "radio": {"radio_in": {"type": "radio_buttons", "selected_option": option("Why", "y")}},
        "boxes": {
            "boxes_in": {"type": "checkboxes", "selected_options": [option("P", "p"), option("R", "r")]}
        },
        "who": {"user_in": {"type": "users_select", "selected_user": "UMGR"}},
        "count": {"number_in": {"type": "number_input", "value": "3"}},
        "note": {"note_in": {"type": "plain_text_input", "value": None}},
        "extra": {"extra_in": {"type": "checkboxes", "selected_options": []}},
        "day": {"day_in": {"type": "datepicker", "selected_date": "2026-12-01"}},
    }


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"text": None}, "'text' is required"),
        ({"count": "three"}, "takes a number"),
        ({"count": 2.5}, "whole numbers"),
        ({"at": "3pm"}, "HH:MM"),
        ({"when": "24/11/2026"}, "YYYY-MM-DD"),
        ({"pick": "c"}, "no option 'c'; its options: 'a', 'b'"),
        ({"nope": "x"}, "no input block 'nope'"),
    ],
)
def test_what_slacks_client_would_not_send_is_refused_before_sending(slack, client, change, complaint):
    web(slack).views_open(trigger_id=slack.issue_trigger("UAGENT"), view=SHAPES)
    with pytest.raises(AssertionError, match=complaint):
        client.view_submission_payload(slack.last_view("UAGENT"), {**FILLED, **change})


def test_a_select_in_a_modal_is_remembered_for_the_submission(slack, client):
    view = web(slack).views_open(
        trigger_id=slack.issue_trigger("UAGENT"),
        view=modal(
            "pick",
            [
                {
                    "type": "actions",
                    "block_id": "choose",
                    "elements": [
                        {
                            "type": "static_select",
                            "action_id": "size",
                            "options": [option("S", "s"), option("L", "l")],
                        }
                    ],
                }
            ],
        ),
    )["view"]
    clicked = client.block_action_payload(slack.view(view["id"]), "size", option="l")
    assert clicked["container"] == {"type": "view", "view_id": view["id"]}
    assert clicked["actions"][0]["selected_option"] == option("L", "l")
    assert "response_url" not in clicked and "channel" not in clicked
    submitted = client.view_submission_payload(slack.view(view["id"]))
    assert submitted["view"]["state"]["values"]["choose"]["size"]["selected_option"] == option("L", "l")


# ---- what Slack refuses ------------------------------------------------------------------------------


def test_a_message_of_51_blocks_is_refused_and_recorded_and_50_are_fine(slack):
    slack.expect_rejections()
    blocks = [section(f"line {n}") for n in range(51)]
    web(slack).chat_postMessage(channel="C1", text="fifty", blocks=blocks[:50])
    with pytest.raises(SlackApiError) as refused:
        web(slack).chat_postMessage(channel="C1", text="fifty-one", blocks=blocks)
    assert refused.value.response["error"] == "invalid_blocks"
    assert "at most 50" in refused.value.response["response_metadata"]["messages"][0]
    [rejection] = slack.rejected
    assert (rejection.method, rejection.error) == ("chat.postMessage", "invalid_blocks")
    assert [m.text for m in slack.messages("C1")] == ["fifty"]


BAD_BLOCKS = {
    "section text over 3000": [section("x" * 3001)],
    "a field over 2000": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}],
    "the same block_id twice": [section("a", block_id="b1"), section("b", block_id="b1")],
    "the same action_id twice in a block": [
        {"type": "actions", "elements": [button("go", "Go"), button("go", "Go")]}
    ],
    "an action_id over 255": [{"type": "actions", "elements": [button("a" * 256, "Go")]}],
    "a block_id over 255": [section("a", block_id="b" * 256)],
    "an unknown block type": [{"type": "sectoin", "text": {"type": "mrkdwn", "text": "typo"}}],
    "a button label over 75": [{"type": "actions", "elements": [button("go", "G" * 76)]}],
}


@pytest.mark.parametrize("what", sorted(BAD_BLOCKS))
@pytest.mark.parametrize("method", ["chat.postMessage", "chat.postEphemeral", "chat.update", "response_url"])
def test_blocks_slack_refuses_are_refused_on_every_way_to_show_them(slack, method, what):
    slack.expect_rejections()
    blocks = BAD_BLOCKS[what]
    if method == "response_url":
        answer = WebhookClient(slack.response_url("r", channel="C1", user="UAGENT")).send(
            text="x", blocks=blocks
        )
        assert (answer.status_code, answer.body) == (400, "invalid_blocks")
        assert slack.responses == []
    else:
        client = web(slack)
        ts = client.chat_postMessage(channel="C1", text="before")["ts"]
        arguments = {"channel": "C1", "text": "x", "blocks": blocks}
        call = {
            "chat.postMessage": lambda: client.chat_postMessage(**arguments),
            "chat.postEphemeral": lambda: client.chat_postEphemeral(user="UAGENT", **arguments),
            "chat.update": lambda: client.chat_update(ts=ts, **arguments),
        }[method]
        with pytest.raises(SlackApiError) as refused:
            call()
        assert refused.value.response["error"] == "invalid_blocks"
        assert slack.message("C1", ts).text == "before"
    [rejection] = slack.rejected
    assert rejection.method == method and rejection.reason.startswith("[ERROR]")


BAD_VIEWS = {
    "a modal title over 24": modal("f", [section("x")], title=plain("A title of twenty-five ch")),
    "private_metadata over 3000": modal("f", [section("x")], private_metadata="m" * 3001),
    "101 blocks": modal("f", [section(f"{n}") for n in range(101)]),
    "inputs without submit": {"type": "modal", "title": plain("Form"), "blocks": [text_input("a", "b")]},
    "a title that is a string": {**modal("f", [section("x")]), "title": "Form"},
    "section text over 3000": modal("f", [section("x" * 3001)]),
    "a callback_id over 255": modal("f" * 256, [section("x")]),
}


@pytest.mark.parametrize("what", sorted(BAD_VIEWS))
def test_views_slack_refuses_are_refused_and_recorded(slack, what):
    slack.expect_rejections()
    with pytest.raises(SlackApiError) as refused:
        web(slack).views_open(trigger_id=slack.issue_trigger("UAGENT"), view=BAD_VIEWS[what])
    assert refused.value.response["error"] == "invalid_arguments"
    [rejection] = slack.rejected
    assert (rejection.method, rejection.error) == ("views.open", "invalid_arguments")
    assert slack.all_views() == []


def test_a_home_view_is_checked_too_and_kept_per_person(slack):
    slack.expect_rejections()
    client = web(slack)
    home = {"type": "home", "blocks": [section("Your cases")]}
    first = client.views_publish(user_id="UAGENT", view=home)["view"]
    again = client.views_publish(
        user_id="UAGENT", hash=first["hash"], view={**home, "blocks": [section("Now")]}
    )
    assert again["view"]["id"] == first["id"] and slack.home_of("UAGENT").mentions("Now")
    with pytest.raises(SlackApiError) as stale:
        client.views_publish(user_id="UAGENT", hash=first["hash"], view=home)
    assert stale.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as refused:
        client.views_publish(user_id="UAGENT", view={**home, "blocks": [section(f"{n}") for n in range(101)]})
    assert refused.value.response["error"] == "invalid_arguments"
    assert [r.method for r in slack.rejected] == ["views.publish"]
    assert slack.home_of("UMGR") is None
    # The calls stay visible the old way as well.
    assert [c.method for c in slack.views] == ["views.publish", "views.publish"]


# ---- App Home ------------------------------------------------------------------------------------


def test_app_home_opened_carries_the_published_home_and_fits_slacks_event_wrapper(alex, slack, mini):
    @mini.app.event("app_home_opened")
    def publish(event, client):
        client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [section("Hi"), {"type": "actions", "elements": [button("refresh", "Refresh")]}],
            },
        )

    mini.app.action("refresh")(lambda ack: ack())
    home = alex.open_home()
    assert home is not None and home.user == "UAGENT" and home.mentions("Hi")
    alex.open_home()
    envelope = json.loads(mini.received[-1][1])
    event = envelope["event"]
    assert {k: event[k] for k in ("type", "user", "channel", "tab")} == {
        "type": "app_home_opened",
        "user": "UAGENT",
        "channel": "DAGENT",
        "tab": "home",
    }
    assert event["view"]["id"] == home.id and event["view"]["type"] == "home"
    schema_path = SLACK_SPECS / "slack_common_event_wrapper_schema.json"
    if schema_path.is_file():
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        assert list(jsonschema.Draft7Validator(schema).iter_errors(envelope)) == []
    alex.click(home, "refresh")
    clicked = json.loads(urllib.parse.parse_qs(mini.received[-1][1])["payload"][0])
    assert clicked["container"] == {"type": "view", "view_id": home.id} and clicked["view"]["type"] == "home"


# ---- the slack fixture fails a test that leaves a rejection -------------------------------------------


@pytest.mark.skipif(not os.environ.get("STANDIN_PROVOKE_REJECTION"), reason="run by the test below")
def test_provoked_rejection(slack):
    with pytest.raises(SlackApiError):
        web(slack).chat_postMessage(channel="C1", text="x", blocks=[section("x" * 3001)])


def test_the_slack_fixture_fails_a_test_that_leaves_a_rejection_unexpected():
    ran = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{__file__}::test_provoked_rejection",
        ],
        env={**os.environ, "STANDIN_PROVOKE_REJECTION": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "1 passed, 1 error" in ran.stdout
    assert "Slack refused calls" in ran.stdout and "chat.postMessage -> invalid_blocks" in ran.stdout


# ---- casekeeper's own modal, through the rig ---------------------------------------------------------


def test_the_open_case_modal_submitted_as_a_person_would(agent, slack):
    agent.command("open")
    form = agent.modal("casekeeper.open_case")
    with pytest.raises(AssertionError, match="'summary' is required"):
        agent.submit(form, {"customer": "Initech"})
    assert agent.submit(form, {"customer": "Initech", "summary": "TPS report lost"}).status == 200
    assert slack.view(form.id).closed
    assert "Initech" in slack.messages("C1")[-1].text


@pytest.mark.backend_independent
def test_a_modal_submitted_over_socket_mode_arrives_as_an_interactive_envelope(tmp_path, database_url):
    from tests.test_socket_mode import start_socket_bot, wait_connected

    slack = FakeSlackAPI(team_id="T1").start()  # real time: the bot process runs on the system clock
    process = None
    try:
        slack.set_user("UAGENT", name="alex", tz="America/New_York")
        process = start_socket_bot(tmp_path, slack, database_url)
        wait_connected(process, slack)
        alex = SocketModeEventsClient(slack)
        assert alex.command("open", user="UAGENT", channel="C1").status == 200
        form = slack.wait_for(lambda: slack.last_view("UAGENT"), timeout=10, what="the open-case modal")
        acked = alex.view_submission(form, {"customer": "Initech", "summary": "TPS report lost"})
        assert acked.status == 200 and acked.json is None, "an empty ack closes the modal"
        slack.wait_for(
            lambda: any("Initech" in m.text for m in slack.messages("C1")), timeout=10, what="the card"
        )
        assert slack.view(form.id).closed and slack.rejected == []
    finally:
        if process is not None:
            process.kill()
        slack.stop()
