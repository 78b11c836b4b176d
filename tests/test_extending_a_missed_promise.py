"""An extension ("Extend with reason" on an escalation) answers the escalation: whoever it
reached, a manager above the owner or an admin gives the promise a new time. Never its owner:
their own extension would stop the chain with a time the customer may never have heard. They
keep the promise, or agree a new time with the customer and reschedule it."""

from __future__ import annotations

from sqlalchemy import select

from handlers.ids import ActionId, BlockId, CallbackId
from storage.models import Promise, PromiseState
from tests.test_escalation_chain import at, channel_escalations, escalations, promise


def promises_now(bot) -> list[tuple[PromiseState, int]]:
    with bot.db.transaction() as session:
        return [
            (p.state, int(p.due_at.timestamp()))
            for p in session.scalars(select(Promise).order_by(Promise.id))
        ]


def test_the_owner_cannot_extend_their_own_missed_promise_from_the_channel(agent, slack, bot, clock):
    case = agent.open_case("Acme Corp: refund not received")  # no manager: the channel hears it
    promise(agent, case)
    at(clock, bot, minutes=30)
    [in_channel] = channel_escalations(slack, case)
    before, planned = len(slack.responses), promises_now(bot)

    agent.click(in_channel, ActionId.ESCALATION_EXTEND.value)
    answers = slack.responses[before:]
    assert len(answers) == 1 and answers[0].is_ephemeral
    assert "can't extend your own promise" in answers[0].all_text()
    assert "reschedule" in answers[0].all_text()
    assert slack.open_views("UAGENT") == []  # no form to fill in
    assert promises_now(bot) == planned


def test_the_owner_submitting_an_extension_form_changes_nothing(agent, manager, slack, bot, clock):
    """The form opened for the manager, submitted as the owner: Slack never sends that, but a
    forged request might, and the rule holds in the domain, not only in which buttons show."""
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    manager.click(escalations(manager)[0], ActionId.ESCALATION_EXTEND.value)
    form = manager.modal(CallbackId.EXTEND.value)
    planned = promises_now(bot)
    values = {BlockId.WHEN_TEXT.value: "in 2 hours", BlockId.NOTE.value: "I'll get to it"}

    forged = manager.client.view_submission_payload(form, values, user="UMGR")
    forged["user"]["id"] = "UAGENT"
    refused = agent.client.interactive(forged)
    bot.settle()
    assert refused.status == 200 and refused.json["response_action"] == "errors"
    assert "can't extend your own promise" in refused.json["errors"][BlockId.NOTE.value]
    assert promises_now(bot) == planned

    # Maria, whom it reached, may.
    accepted = manager.submit(manager.modal(CallbackId.EXTEND.value), values)
    assert accepted.json is None or "errors" not in accepted.json, accepted.body
    assert [state for state, _ in promises_now(bot)] == [PromiseState.RESCHEDULED, PromiseState.OPEN]


def test_the_owner_may_still_reschedule_with_the_customer_told(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    promise(agent, case)
    at(clock, bot, minutes=30)
    reminder = next(m for m in agent.dms() if m.text.startswith("Reminder:"))
    agent.click(reminder, ActionId.REMINDER_RESCHEDULE.value)
    reply = agent.submit(
        agent.modal(CallbackId.RESCHEDULE.value),
        {
            BlockId.WHEN_TEXT.value: "in 2 hours",
            BlockId.TOLD.value: ["told"],
            BlockId.NOTE.value: "Told them: by 4:30pm",
        },
    )
    assert reply.json is None or "errors" not in reply.json, reply.body
    assert [state for state, _ in promises_now(bot)] == [PromiseState.RESCHEDULED, PromiseState.OPEN]
