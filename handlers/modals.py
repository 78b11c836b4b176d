"""`/case open` with no text opens a modal asking for the customer and summary."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.models.blocks import InputBlock, PlainTextInputElement, PlainTextObject
from slack_sdk.models.views import View

from bot.services import Services
from bot.validation import LIMITS
from handlers import errors, render
from handlers.ids import ActionId, BlockId, CallbackId


def open_case_view(channel_id: str) -> View:
    return View(
        type="modal",
        callback_id=CallbackId.OPEN_CASE.value,
        title=PlainTextObject(text="Open a case"),
        submit=PlainTextObject(text="Open"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps({"channel_id": channel_id}),
        blocks=[
            InputBlock(
                block_id=BlockId.CUSTOMER.value,
                label=PlainTextObject(text="Customer"),
                element=PlainTextInputElement(
                    action_id=ActionId.CUSTOMER.value,
                    max_length=LIMITS["customer"],
                    placeholder=PlainTextObject(text="Acme Corp"),
                ),
            ),
            InputBlock(
                block_id=BlockId.SUMMARY.value,
                label=PlainTextObject(text="What is it about?"),
                element=PlainTextInputElement(
                    action_id=ActionId.SUMMARY.value,
                    multiline=True,
                    max_length=LIMITS["summary"],
                    placeholder=PlainTextObject(text="Refund not received"),
                ),
            ),
        ],
    )


def open_case_modal(client: Any, trigger_id: str, channel_id: str) -> None:
    client.views_open(trigger_id=trigger_id, view=open_case_view(channel_id))


def register(app: App, services: Services) -> None:
    from handlers.commands import open_case

    @app.view(CallbackId.OPEN_CASE.value)
    def submit_open_case(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        values = view["state"]["values"]
        customer = (values[BlockId.CUSTOMER.value][ActionId.CUSTOMER.value].get("value") or "").strip()
        summary = (values[BlockId.SUMMARY.value][ActionId.SUMMARY.value].get("value") or "").strip()
        if not summary:
            ack(response_action="errors", errors={BlockId.SUMMARY.value: "Say what the case is about."})
            return
        ack()
        channel_id = json.loads(view.get("private_metadata") or "{}").get("channel_id", "")
        user_id = body["user"]["id"]
        try:
            reply = open_case(
                services,
                team_id=body["team"]["id"],
                owner_id=user_id,
                channel_id=channel_id,
                customer=customer or None,
                summary=summary,
            )
        except Exception as error:  # after ack(): answer the person, never re-raise into Bolt
            reply = render.error_message(errors.message_for(error))
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=reply.text, blocks=reply.blocks)
