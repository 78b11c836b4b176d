"""Changing a case after it was opened: correcting it with the edit form (from the card or
`/case edit`), reopening it when the customer comes back, and closing it while promises are
still open: the close form asks what became of each, so the kept rate stays honest."""

from sqlalchemy import select

from bot.audit import Action
from handlers.ids import ActionId, BlockId, CallbackId
from storage.models import AuditEntry, Case, CasePriority, CaseState, Promise, PromiseState


def card_of(slack, case):
    return slack.message(case.channel, case.card_ts)


def thread_texts(slack, case):
    return [m.all_text() for m in slack.thread(case.channel, case.card_ts)]


def the_case(bot):
    with bot.db.transaction() as session:
        return session.execute(select(Case)).scalar_one()


def test_the_edit_form_from_the_card_corrects_the_case_and_says_what_changed(agent, slack, bot):
    case = agent.open_case("Acme Crop: parcel lost")
    agent.click(card_of(slack, case), ActionId.CARD_EDIT.value)
    form = agent.modal(CallbackId.EDIT_CASE.value)
    assert "Acme Crop" in str(form.view["blocks"])  # the form shows the case as it is
    reply = agent.submit(
        form,
        {
            BlockId.CUSTOMER.value: "Acme Corp",
            BlockId.SUMMARY.value: "parcel lost",
            BlockId.ORDER.value: "SO-10042",
            BlockId.TRACKING.value: "1Z999AA10123456784",
            BlockId.CUSTOMER_TZ.value: "Berlin",
            BlockId.PRIORITY.value: "urgent",
        },
    )
    assert not (reply.json or {}).get("errors"), reply.body
    edited = the_case(bot)
    assert (edited.customer, edited.order_ref, edited.customer_tz, edited.priority) == (
        "Acme Corp",
        "SO-10042",
        "Europe/Berlin",
        CasePriority.URGENT,
    )
    card = card_of(slack, case).all_text()
    assert "Acme Corp" in card and "Order SO-10042" in card and "Urgent" in card
    note = [t for t in thread_texts(slack, case) if "edited CASE-1" in t]
    assert (
        len(note) == 1
        and "customer Acme Crop → Acme Corp" in note[0]
        and "priority normal → urgent" in note[0]
    )
    with bot.db.transaction() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == Action.CASE_EDITED.value)
        ).scalar_one()
        assert entry.detail["customer"] == ["Acme Crop", "Acme Corp"]
    # The search finds it by its corrected number.
    assert "CASE-1" in agent.command("find SO-10042").text


def test_edit_from_the_command_opens_the_form_and_mistakes_show_under_their_field(agent, other, slack, bot):
    case = agent.open_case("Acme: parcel lost")
    agent.command(f"edit {case.ref}")
    form = agent.modal(CallbackId.EDIT_CASE.value)
    for field, value, why in (
        (BlockId.CUSTOMER_TZ.value, "Atlantis", "is not a time zone I know"),
        (BlockId.SUMMARY.value, "   ", "Say what the case is about"),
        (BlockId.ORDER.value, "SO-1\nSO-2", "should be one line"),
    ):
        # The form keeps what was typed before, as Slack's does: each field is set each time.
        values = {
            BlockId.SUMMARY.value: "parcel lost",
            BlockId.CUSTOMER_TZ.value: "",
            BlockId.ORDER.value: "",
            BlockId.PRIORITY.value: "normal",
            field: value,
        }
        reply = agent.submit(form, values, check_inputs=False)
        assert reply.json["response_action"] == "errors", (field, reply.body)
        assert why in reply.json["errors"][field], reply.json
    assert the_case(bot).order_ref is None
    # Unchanged: nothing said in the thread.
    agent.submit(
        agent.modal(CallbackId.EDIT_CASE.value),
        {BlockId.SUMMARY.value: "parcel lost", BlockId.CUSTOMER_TZ.value: "", BlockId.ORDER.value: ""},
    )
    assert not [t for t in thread_texts(slack, case) if "edited" in t]
    # Someone outside the owner's chain can't even open it.
    refused = other.command(f"edit {case.ref}")
    assert refused.ephemeral and "<@UAGENT>" in refused.text
    assert not [v for v in slack.open_views("UOTHER")]


def test_reopen_brings_a_closed_case_back_with_the_reason(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"close {case.ref} refunded")
    assert "CASE-1 is closed already" in agent.command(f"promise {case.ref} in 1 hour: call").text
    answer = agent.command(f"reopen {case.ref} the refund bounced")
    assert "CASE-1 is open again" in answer.text
    reopened = the_case(bot)
    assert reopened.state is CaseState.OPEN and reopened.closed_at is None and reopened.close_note is None
    assert any("reopened CASE-1" in t and "the refund bounced" in t for t in thread_texts(slack, case))
    assert "Open" in card_of(slack, case).all_text()
    assert "Promise recorded" in agent.command(f"promise {case.ref} in 1 hour: call the bank").text
    assert "is open already" in agent.command(f"reopen {case.ref}").text
    with bot.db.transaction() as session:
        entry = session.execute(
            select(AuditEntry).where(AuditEntry.action == Action.CASE_REOPENED.value)
        ).scalar_one()
        assert entry.detail["resolution"] == "refunded" and entry.detail["note"] == "the refund bounced"


def test_closing_with_open_promises_asks_what_became_of_each(agent, manager, slack, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    agent.command(f"promise {case.ref} in 2 hours: send the receipt")
    call_back, receipt = (p[0] for p in _promises(bot))
    agent.command(f"close {case.ref} refunded in full")
    form = agent.modal(CallbackId.CLOSE_CASE.value)
    assert "2 promises still open" in form.all_text() and "refunded in full" in str(form.view)
    reply = agent.submit(
        form,
        {
            BlockId.RESOLUTION.value: "refunded in full",
            BlockId.RECURRENCE.value: "single",
            f"fate.{call_back}": "kept",
            f"fate.{receipt}": "cancelled",
        },
    )
    assert not (reply.json or {}).get("errors"), reply.body
    assert [(p[1], p[2]) for p in _promises(bot)] == [
        ("call back", PromiseState.KEPT),
        ("send the receipt", PromiseState.CANCELLED),
    ]
    assert the_case(bot).state is CaseState.CLOSED
    assert any("cancelled the promise “send the receipt”" in t for t in thread_texts(slack, case))
    clock.advance(hours=3)
    bot.tick()
    assert manager.dms() == [] and agent.dms() == []
    report = agent.command("report 1d").text
    assert "1 of 1 kept on time (100%)" in report and "1 cancelled" in report


def test_the_card_close_button_asks_too_and_the_command_closes_at_once_without_promises(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    agent.click(card_of(slack, case), ActionId.CARD_CLOSE.value)
    ((promise_id, *_),) = _promises(bot)
    agent.submit(
        agent.modal(CallbackId.CLOSE_CASE.value),
        {
            BlockId.RESOLUTION.value: "sorted",
            BlockId.RECURRENCE.value: "single",
            f"fate.{promise_id}": "kept",
        },
    )
    assert the_case(bot).state is CaseState.CLOSED and _promises(bot)[0][2] is PromiseState.KEPT
    other = agent.open_case("Initech: stapler")
    assert "CASE-2 is closed" in agent.command(f"close {other.ref} found it").text


def _promises(bot):
    with bot.db.transaction() as session:
        return [
            (p.id, p.description, p.state)
            for p in session.execute(select(Promise).order_by(Promise.id)).scalars()
        ]
