"""Text people type is shown as text. A customer called `<!channel>`, a summary holding a link
`<https://evil.example|your bank>`, a contact that mentions `<@U0BOSS>`: whatever someone types
(in a command, a form or a thread reply) reaches Slack with `&`, `<` and `>` escaped, in every
message, note, reply, form and report the bot draws, and in the plain `text` fallback that
notifications read. The bot's own mentions (`<@U…>`) and dates (`<!date^…>`) keep working.

First, hypothesis-generated text through every view; then what people type, through the real
boundary (signed commands, forms and thread replies to the running bot, and the Slack stand-in)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_sdk.models.views import View
from sqlalchemy import select

from bot.authz import Readable
from bot.customers import EarlierCase, Found, History, PromiseCounts
from bot.forecast import Forecast, Step
from bot.insights import CaseWithNext, DuePromise, HomeSnapshot, Tally, TeamView
from bot.notifications import NoteEvent
from bot.reports import FirstContact, RecurringCategory, Report
from handlers.ids import BlockId, CallbackId, Subject
from handlers.slack_text import unescape
from handlers.views import (
    card,
    case_notes,
    cases,
    catch_up,
    home,
    modals,
    notices,
    promises,
    replies,
    report,
    search,
    settled,
)
from handlers.views.blocks import Message
from handlers.views.card import CardFacts
from handlers.views.notices import EscalationFacts
from handlers.views.promises import promise_confirmation, promise_kept, promise_note
from storage.models import (
    Case,
    CasePriority,
    CaseState,
    Contact,
    NotificationKind,
    Promise,
    PromiseState,
    Recurrence,
    RecurringFlag,
)
from storage.outbox import Claim
from storage.search import Hit

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)

# The bot's own markup, which must survive: people as <@U…>, channels as <#C…>, dates.
OWN_MARKUP = re.compile(r"<@[UW][A-Z0-9]+>|<#[CG][A-Z0-9]+>|<!date\^\d+\^[^<>|]*\|[^<>]*>")


def mrkdwn_strings(value: Any) -> list[str]:
    """Every string Slack reads as mrkdwn in a message or view: the `text` fallback and every
    text object of type mrkdwn (sections, fields, contexts, confirm dialogs)."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for key, inner in value.items():
            if key == "text" and isinstance(inner, str) and "type" not in value:
                found.append(inner)  # a message's own fallback text
            elif not isinstance(inner, str):
                found += mrkdwn_strings(inner)
    elif isinstance(value, list):
        for inner in value:
            found += mrkdwn_strings(inner)
    return found


def as_sent(rendered: Message | View) -> dict[str, Any]:
    if isinstance(rendered, View):
        return rendered.to_dict()
    return {"text": rendered.text, "blocks": rendered.blocks}


def assert_only_own_markup(rendered: Message | View) -> None:
    for text in mrkdwn_strings(as_sent(rendered)):
        rest = OWN_MARKUP.sub("", text)
        assert "<" not in rest and ">" not in rest, f"markup from someone's text: {text!r}"
        # Every & starts an entity the bot wrote: nothing half-escaped, nothing raw.
        assert not re.search(r"&(?!amp;|lt;|gt;)", rest), f"a raw & in {text!r}"


# ---- a case, its promise, contact and notes, all written by people --------------------------


def a_case(said: dict[str, str]) -> Case:
    case = Case(
        id=7,
        team_id="T1",
        channel_id="C1",
        owner_id="UAGENT",
        customer=said["customer"],
        summary=said["summary"],
        state=CaseState.CLOSED,
        card_ts="1.000001",
        opened_at=NOW - timedelta(days=2),
        closed_at=NOW - timedelta(hours=1),
        closed_by="UAGENT",
        close_note=said["note"],
        priority=CasePriority.URGENT,
        account_ref=said["number"],
        order_ref=said["number"],
        tracking_ref=said["number"],
        recurrence=Recurrence.RECURRING,
        category=said["category"],
        version=1,
    )
    promise = Promise(
        id=70,
        case_id=7,
        owner_id="UAGENT",
        description=said["promise"],
        due_at=NOW - timedelta(minutes=30),
        remind_at=NOW - timedelta(minutes=45),
        escalate_at=NOW - timedelta(minutes=30),
        escalate_to="UMGR",
        escalation_chain=["UMGR", "C9"],
        state=PromiseState.OPEN,
        made_by="UAGENT",
        made_at=NOW - timedelta(hours=2),
    )
    earlier = Promise(
        id=69,
        case_id=7,
        owner_id="UAGENT",
        description=said["promise"],
        due_at=NOW - timedelta(hours=1),
        remind_at=NOW - timedelta(hours=1),
        escalate_at=NOW - timedelta(hours=1),
        state=PromiseState.RESCHEDULED,
        made_by="UAGENT",
        made_at=NOW - timedelta(hours=3),
        rescheduled_by="UAGENT",
        rescheduled_at=NOW - timedelta(hours=2),
        reschedule_note=said["note"],
        customer_told=True,
    )
    kept = Promise(
        id=71,
        case_id=7,
        owner_id="UAGENT",
        description=said["promise"],
        due_at=NOW - timedelta(hours=5),
        remind_at=NOW - timedelta(hours=5),
        escalate_at=NOW - timedelta(hours=5),
        state=PromiseState.KEPT,
        kept_at=NOW - timedelta(hours=6),
        made_by="UAGENT",
        made_at=NOW - timedelta(hours=8),
    )
    contact = Contact(
        id=1,
        case_id=7,
        channel_id="C1",
        ts="2.000001",
        author_id="UOTHER",
        text=said["contact"],
        posted_at=NOW - timedelta(hours=1),
        logged_at=NOW - timedelta(hours=1),
        edited_at=NOW,
    )
    case.promises = [kept, earlier, promise]
    case.contacts = [contact]
    return case


def claim(kind: NotificationKind, payload: dict[str, Any], claim_id: int = 1) -> Claim:
    return Claim(
        id=claim_id,
        key=f"k{claim_id}",
        token="t",
        team_id="T1",
        kind=kind.value,
        promise_id=70,
        case_id=7,
        level=1,
        recipient="UAGENT",
        thread_ts=None,
        payload=payload,
        run_at=NOW - timedelta(hours=1),
        attempts=0,
        maybe_delivered=False,
        delivered_channel=None,
        claimed_at=NOW,
    )


def every_view(said: dict[str, str]) -> list[Message | View]:
    """Everything the bot draws that shows text people typed."""
    case = a_case(said)
    kept, earlier, promise = case.promises
    contact = case.contacts[0]
    history = History(
        earlier=[EarlierCase(case=case, promises=PromiseCounts(kept=1, late=1, missed=1))], more=True
    )
    facts = CardFacts(next_promise=promise, open_promises=2, contacts=1, history=history)
    escalation = EscalationFacts(
        level=2,
        last_contact=contact,
        history=[earlier],
        owner_local_time="09:00",
        owner_status=said["status"],
    )
    by = {"by": "UMGR", "note": said["note"], "text": said["contact"], "via": said["via"]}
    notes = [
        case_notes.case_note(case, promise, {**by, "event": event.value, "old_due_at": NOW.isoformat()})
        # (A hand-over is said to the owner alone, below.)
        for event in NoteEvent
        if event is not NoteEvent.HANDED_OVER
    ]
    person_notes = [
        case_notes.person_note(case, promise, {**by, "event": event.value, "new_owner": "UOTHER"})
        for event in (NoteEvent.ACKNOWLEDGED, NoteEvent.EXTENDED, NoteEvent.CANCELLED, NoteEvent.HANDED_OVER)
    ]
    flag = RecurringFlag(
        id=1, team_id="T1", category_key="x", category=said["category"], case_ids=[7], flagged_at=NOW
    )
    items = [
        catch_up.SummaryItem(claim(NotificationKind.REMINDER, {}, 1), case, promise),
        catch_up.SummaryItem(claim(NotificationKind.ESCALATION, {}, 2), case, promise, escalation),
        catch_up.SummaryItem(claim(NotificationKind.MANAGER_MISSING, {}, 3), case, promise),
        catch_up.SummaryItem(
            claim(NotificationKind.HANDOVER, {"by": "UMGR", "previous_owner": "UOTHER"}, 4), case, None
        ),
        catch_up.SummaryItem(
            claim(NotificationKind.PERSON_NOTE, {**by, "event": "acknowledged"}, 5), case, promise
        ),
    ]
    items += [
        catch_up.SummaryItem(claim(NotificationKind.REMINDER, {}, 10 + n), case, promise) for n in range(16)
    ]
    due = DuePromise(promise, case)
    snapshot = HomeSnapshot(
        user_id="UAGENT",
        now=NOW,
        cases=[CaseWithNext(case, promise)],
        cases_total=3,
        due=[due],
        due_total=2,
        team=TeamView(
            members=frozenset({"UOTHER"}), overdue=[due], overdue_total=2, kept=[("Last 7 days", Tally())]
        ),
    )
    team_report = Report(
        team_id="T1",
        since=NOW - timedelta(days=7),
        until=NOW,
        now=NOW,
        agents=None,
        lines=[],
        promises=Tally(),
        first_contact=FirstContact(median=None),
        stale=[],
        stale_total=0,
        stale_age=timedelta(days=7),
        recurring=[RecurringCategory(key="x", category=said["category"], count=2, case_ids=[7, 8])],
        recurring_total=1,
    )
    subject = Subject(case_id=7, promise_id=70)
    private = a_case(said)
    private.private = True
    found = Found(text=said["search"], hits=[Hit(case=case, exact=True)], total=12)
    repeat = timedelta(minutes=30)
    # A plan whose first level waits for working hours, and whose manager hasn't accepted yet:
    # every line the confirmation can show.
    plan = Forecast(
        steps=(
            Step(
                level=1,
                to="UMGR",
                at=promise.escalate_at + timedelta(hours=9),
                waits=True,
                tz="Europe/Berlin",
            ),
            Step(level=2, to="C1", at=promise.escalate_at + timedelta(hours=10), waits=False),
        ),
        unaccepted_manager="UOTHER",
    )
    return [
        card.case_card(case, facts, NOW),
        card.case_card(_reopened(case), facts, NOW),
        search.with_history(cases.case_details(case, NOW), history),
        cases.case_list([case], NOW),
        search.results(found),
        search.results(Found(text=said["search"], hits=[], total=0)),
        notices.reminder(case, promise, NOW - timedelta(days=2)),
        notices.escalation_waiting(
            case, promise, {"to": "UMGR", "until": NOW.isoformat(), "tz": "Europe/Berlin"}, NOW
        ),
        settled.escalation_settled(case, promise, settled.outcome(case, kept, None)),
        notices.escalation(case, promise, NOW, escalation),
        notices.escalation(case, promise, NOW - timedelta(hours=1), escalation),
        notices.escalation_note(case, promise, NOW, "UMGR"),
        notices.recurring_flag(flag, [case, case], Readable(everything=True)),
        # Read in another channel: the private case is named, not described.
        notices.recurring_flag(flag, [case, private], Readable.channel("C2")),
        notices.manager_missing(case, promise),
        case_notes.handed_over(case, "UMGR", "UOTHER"),
        case_notes.handover_note(case, "UMGR", "UOTHER"),
        *notes,
        *person_notes,
        catch_up.summary(items, NOW),
        promise_confirmation(case, promise, repeat, plan),
        promise_note(case, promise, repeat, plan),
        promises.safer_time_taken(case, promise),
        promise_kept(case, kept),
        replies.case_closed(case),
        home.home_view(snapshot),
        report.report_message(team_report, viewer="UMGR"),
        modals.promise_view(case, subject),
        modals.close_view(case, subject),
        modals.reschedule_view(case, promise, subject, extension=True),
        modals.reassign_view(case, subject),
        modals.log_contact_view(case, subject),
    ]


def _reopened(case: Case) -> Case:
    """The same case, open: the card then shows its buttons and the Done confirmation."""
    case.state = CaseState.OPEN
    return case


# What people type: anything at all, and most of all what looks like Slack's own markup.
MARKUP = st.sampled_from(
    [
        "<!channel>",
        "<!here|here>",
        "<!everyone>",
        "<!subteam^S123|@support>",
        "<@U0BOSS>",
        "<@U0BOSS|boss>",
        "<#C0SECRET|secret>",
        "<https://evil.example|your bank>",
        "<https://evil.example>",
        "<mailto:a@b.example|mail>",
        "<!date^1700000000^{date}|Nov 14>",
        "&lt;@U0BOSS&gt;",
        "&amp;",
        "&",
        "<",
        ">",
        "*bold*",
        "`",
        "|",
    ]
)
typed_text = st.lists(
    st.one_of(MARKUP, st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=8)),
    min_size=1,
    max_size=8,
).map("".join)
FIELDS = (
    "customer",
    "summary",
    "note",
    "category",
    "number",
    "promise",
    "contact",
    "status",
    "via",
    "search",
)


@pytest.mark.backend_independent
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({name: typed_text for name in FIELDS}))
@example({name: "<!channel> <@U0BOSS> <https://evil.example|your bank> & < >" for name in FIELDS})
def test_no_text_people_type_becomes_a_mention_a_broadcast_or_a_link(said):
    for rendered in every_view(said):
        assert_only_own_markup(rendered)


@pytest.mark.backend_independent
def test_the_bots_own_mentions_and_dates_still_work_and_typed_text_reads_as_typed():
    said = {name: "Tom & Jerry <Ltd> <!channel>" for name in FIELDS}
    case = a_case(said)
    kept, earlier, promise = case.promises
    drawn = card.case_card(_reopened(case), CardFacts(next_promise=promise, open_promises=1, contacts=1), NOW)
    texts = mrkdwn_strings(as_sent(drawn))
    everything = "\n".join(texts)
    assert "<@UAGENT>" in everything, "the owner is a mention"
    assert re.search(r"<!date\^\d+\^", everything), "times are date tokens"
    assert "Tom &amp; Jerry &lt;Ltd&gt; &lt;!channel&gt;" in everything
    # Escaped once: Slack shows exactly what was typed.
    assert unescape("Tom &amp; Jerry &lt;Ltd&gt;") == "Tom & Jerry <Ltd>"
    assert "&amp;amp;" not in json.dumps(as_sent(drawn))
    header = drawn.blocks[0]
    assert header["type"] == "header" and header["text"]["text"] == "CASE-7 · Tom & Jerry <Ltd> <!channel>"
    assert drawn.text.startswith("CASE-7 (open) owned by <@UAGENT> for Tom &amp; Jerry")


# ---- through the real boundary ----------------------------------------------------------------


def everything_slack_got(slack) -> list[dict[str, Any]]:
    """Every message (each version of it), ephemeral, response and view the bot sent."""
    sent: list[dict[str, Any]] = []
    for message in slack.messages():
        sent.append({"text": message.text, "blocks": message.blocks or []})
        sent += [{"text": old.get("text"), "blocks": old.get("blocks") or []} for old in message.history]
    sent += [{"text": e.text, "blocks": e.blocks or []} for e in slack.ephemerals]
    sent += [r.body for r in slack.responses]
    sent += [{"view": v.view} for v in slack.all_views()]
    return sent


def assert_slack_got_only_own_markup(slack) -> None:
    for sent in everything_slack_got(slack):
        for text in mrkdwn_strings(sent):
            rest = OWN_MARKUP.sub("", text)
            assert "<" not in rest and ">" not in rest, f"markup from someone's text reached Slack: {text!r}"


def stored(bot, column) -> Any:
    with bot.db.transaction() as session:
        return session.execute(select(column)).scalars().all()


def test_what_people_type_in_commands_forms_and_replies_reaches_slack_as_text(
    agent, manager, slack, bot, clock
):
    agent.names_manager("UMGR")
    # Typed: `/case open Tom & Jerry <Ltd>: ` then a broadcast, a person and a link picked from
    # Slack's menus. Slack sends the typed characters escaped and the picked ones as tokens.
    case = agent.open_case(
        "Tom &amp; Jerry &lt;Ltd&gt;: <!channel> call <@UOTHER|olga> about <https://evil.example|your bank>"
    )
    assert stored(bot, Case.customer) == ["Tom & Jerry <Ltd>"], "stored as typed"
    assert stored(bot, Case.summary) == ["@channel call @olga about your bank (https://evil.example)"]
    drawn = slack.message("C1", case.card_ts)
    texts = "\n".join(mrkdwn_strings({"text": drawn.text, "blocks": drawn.blocks}))
    assert "Tom &amp; Jerry &lt;Ltd&gt;" in texts and "<@UAGENT>" in texts and "<!date^" in texts
    assert drawn.blocks[0]["text"]["text"] == f"{case.ref} · Tom & Jerry <Ltd>"

    # A thread reply quoting markup, mentioning a broadcast, and linking.
    agent.reply(case, "Customer wrote &lt;!everyone&gt; &amp; <!here> see <https://x.example|the label>")
    assert stored(bot, Contact.text) == [
        "Customer wrote <!everyone> & @here see the label (https://x.example)"
    ]
    # A promise whose words hold markup: confirmation, thread note, reminder, escalation.
    agent.command(
        f"promise {case.ref} in 20 minutes: send &lt;@U0BOSS&gt; the &lt;https://evil.example|form&gt;"
    )
    clock.advance(minutes=10)
    bot.tick()
    clock.advance(minutes=11)
    bot.tick()
    reminder = next(m for m in agent.dms() if "Reminder" in m.all_text())
    escalated = next(m for m in manager.dms() if "missed a promise" in m.all_text())
    for message in (reminder, escalated):
        said = "\n".join(mrkdwn_strings({"text": message.text, "blocks": message.blocks}))
        # A person's token typed out by hand reads as a picked one does: @U0BOSS, as text.
        assert "send @U0BOSS the &lt;https://evil.example|form&gt;" in said
        assert "<!date^" in said
    assert "<@UAGENT>" in escalated.text

    # The open-case form sends plain text: the same escaping, nothing to decode.
    agent.command("open")
    agent.submit(
        agent.modal(CallbackId.OPEN_CASE.value),
        {
            BlockId.CUSTOMER.value: "<!here> & co",
            BlockId.SUMMARY.value: "<@UMGR> <#C9|x> <https://y.example|y>",
        },
    )
    assert "<!here> & co" in stored(bot, Case.customer)
    shown = agent.command("show CASE-2")
    assert "&lt;@UMGR&gt; &lt;#C9|x&gt; &lt;https://y.example|y&gt;" in shown.text
    agent.command("find &lt;!here&gt;")
    agent.command(f"show {case.ref}")
    agent.open_home()
    assert_slack_got_only_own_markup(slack)
