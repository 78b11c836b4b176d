"""Every mistake gets a specific message only its author sees, and changes nothing: not the
database, not what Slack shows anyone else."""

import json

from sqlalchemy import select

from storage.models import (
    AuditEntry,
    Case,
    CaseState,
    Contact,
    ManagerLink,
    Notification,
    Promise,
    PromiseState,
)


def recorded(bot):
    """What the database holds that a mistake must not touch: every row that matters, with the
    columns a refused action could change."""
    with bot.db.transaction() as session:

        def rows(model, *columns):
            return sorted(tuple(row) for row in session.execute(select(model.id, *columns)))

        return {
            "cases": rows(Case, Case.state, Case.owner_id, Case.customer, Case.summary, Case.closed_at),
            "promises": rows(Promise, Promise.state, Promise.description, Promise.kept_by),
            "contacts": rows(Contact, Contact.text),
            "manager_links": rows(ManagerLink, ManagerLink.user_id, ManagerLink.manager_id),
            "notifications": rows(Notification, Notification.kind, Notification.state),
            "audit": rows(AuditEntry, AuditEntry.action),
        }


def shown_to_everyone(slack):
    """What the bot has put in front of people in channels and DMs (ephemeral replies aside)."""
    return {
        "messages": [(m.channel, m.ts, m.all_text(), len(m.history)) for m in slack.messages()],
        "reactions": len(slack.reactions),
        "posts": len(slack.calls("chat.postMessage")) + len(slack.calls("chat.update")),
    }


class Unchanged:
    """Snapshot of the database and of Slack; `check()` asserts nothing moved since."""

    def __init__(self, bot, slack):
        self.bot, self.slack = bot, slack
        self.db, self.seen = recorded(bot), shown_to_everyone(slack)

    def check(self, what):
        assert recorded(self.bot) == self.db, f"{what} changed the database"
        assert shown_to_everyone(self.slack) == self.seen, f"{what} posted something in Slack"


def refused(person, text, *fragments):
    """`person` types `/case text`; the answer is ephemeral and says each fragment."""
    result = person.command(text)
    assert result.ephemeral, (text, result.text)
    for fragment in fragments:
        assert fragment in result.text, (text, fragment, result.text)
    return result


# ---- unknown cases, other people's cases ------------------------------------------------------


def test_a_case_that_does_not_exist_is_named_in_the_refusal(agent, slack, bot):
    agent.open_case("Acme: refund")
    before = Unchanged(bot, slack)
    for text in ("show CASE-99", "done CASE-99", "promise CASE-99 in 1 hour: call back", "close CASE-99"):
        refused(agent, text, "There is no CASE-99 in this workspace", "/case list")
        before.check(f"/case {text}")


def test_someone_else_cannot_keep_close_or_promise_on_my_case(agent, other, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 2 hours: call back")
    before = Unchanged(bot, slack)
    attempts = {
        f"done {case.ref}": "mark a promise kept on",
        f"close {case.ref} not my problem": "close",
        f"promise {case.ref} in 1 hour: email them": "record a promise on",
    }
    for text, doing in attempts.items():
        refused(other, text, "Only <@UAGENT> (the owner), a manager above them, or an admin can", doing)
        before.check(f"UOTHER's /case {text}")
    assert "call back" in agent.command(f"show {case.ref}").text


def test_the_owners_manager_may_mark_the_promise_kept_and_others_still_may_not(
    agent, manager, other, slack, bot
):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 2 hours: call back")
    before = Unchanged(bot, slack)
    refused(other, f"done {case.ref}", "Only <@UAGENT> (the owner), a manager above them, or an admin")
    before.check("UOTHER's /case done")

    kept = manager.command(f"done {case.ref}")
    assert kept.ephemeral and "Kept: CASE-1 “call back” (on time)" in kept.text
    with bot.db.transaction() as session:
        promise = session.execute(select(Promise)).scalar_one()
        assert (promise.state, promise.kept_by) == (PromiseState.KEPT, "UMGR")


# ---- empty, unknown and over-long commands -------------------------------------------------------


def test_case_alone_shows_help(agent, slack, bot):
    before = Unchanged(bot, slack)
    result = refused(agent, "", "/case open", "/case promise", "/case done", "/case manager")
    assert "keeps the promises you make to customers" in result.immediate_text, "help comes in the ack"
    before.check("/case with nothing after it")


def test_missing_parts_are_named(agent, slack, bot):
    agent.open_case("Acme: refund")
    before = Unchanged(bot, slack)
    refused(agent, "open Acme:", "What is the case about? Add a summary after the colon")
    refused(agent, "promise CASE-1", "Say when and what, separated by a colon", "/case promise CASE-7")
    refused(agent, "promise CASE-1 in 2 hours", "Say when and what, separated by a colon")
    refused(agent, "promise", "Which case?", "/case promise CASE-7")
    refused(agent, "done", "Which case?", "/case done CASE-7")
    refused(agent, "show Acme", "“Acme” is not a case reference like CASE-7")
    refused(agent, "done CASE-1 now please", "`/case done` takes nothing after the case")
    before.check("incomplete commands")


def test_an_unknown_subcommand_is_named_and_help_is_offered(agent, slack, bot):
    before = Unchanged(bot, slack)
    refused(agent, "frobnicate CASE-1", "I don't know `/case frobnicate`", "/case help")
    before.check("/case frobnicate")


def test_a_5000_character_command_is_refused_with_its_length(agent, slack, bot):
    before = Unchanged(bot, slack)
    long_text = "open Acme: " + "the customer says " * 277  # ~5,000 characters
    assert len(long_text) > 4900
    refused(agent, long_text, f"That command is {len(long_text.strip()):,} characters long", "at most 2,000")
    before.check("a 5,000-character command")


def test_a_summary_over_the_limit_is_refused_with_its_length(agent, slack, bot):
    before = Unchanged(bot, slack)
    refused(agent, "open Acme: " + "x" * 600, "The summary is 600 characters long; keep it under 500")
    refused(agent, "open " + "A" * 130 + ": refund", "The customer is 130 characters long; keep it under 120")
    before.check("an over-long summary")


# ---- odd characters -------------------------------------------------------------------------------


def test_control_characters_are_refused_with_a_message(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    before = Unchanged(bot, slack)
    refused(agent, "open Acme: refund\x07 not received", "The summary contains control characters")
    refused(agent, "open Ac\x1bme: refund", "The customer contains control characters")
    refused(agent, f"promise {case.ref} in 1 hour: call\x00 back", "The promise contains control characters")
    refused(agent, f"close {case.ref} done\x08", "The note contains control characters")
    before.check("text with control characters")


def test_broadcast_mentions_in_a_summary_are_kept_but_never_ping_anyone(agent, slack, bot, clock):
    case = agent.open_case("Acme: <!channel> refund missing, tell <!here|here> now")
    with bot.db.transaction() as session:
        summary = session.execute(select(Case.summary)).scalar_one()
    # Recorded as the person saw it while typing: the broadcasts they picked, as words.
    assert summary == "@channel refund missing, tell @here now"
    card = slack.message("C1", case.card_ts)
    assert "refund missing" in card.all_text()
    # What goes to Slack: the text, the blocks, everything the card was posted with.
    posted = json.dumps(card.params, ensure_ascii=False)
    assert "<!channel>" not in posted and "<!here" not in posted, posted

    # The promise note in the thread and the escalation broadcast to the channel (no manager
    # set) carry the promise and the summary: they must not ping either.
    agent.command(f"promise {case.ref} in 30 minutes: warn <!everyone> and <!here>")
    clock.advance(minutes=31)
    bot.tick()
    assert any("missed a promise" in m.all_text() for m in slack.messages("C1")), "the escalation went out"
    for message in slack.messages():
        posted = json.dumps(message.params, ensure_ascii=False)
        for mention in ("<!channel", "<!here", "<!everyone"):
            assert mention not in posted, (message.channel, posted)


def test_a_broadcast_mention_as_the_customer_never_pings_anyone(agent, slack, bot):
    case = agent.open_case("<!channel>: refund missing")
    card = slack.message("C1", case.card_ts)
    assert "refund missing" in card.all_text()
    pinging = [key for key, value in card.params.items() if "<!channel>" in json.dumps(value)]
    assert pinging == [], f"the card's {pinging} would ping the whole channel: {card.text!r}"


def test_emoji_and_non_latin_text_work_end_to_end(agent, slack, bot):
    case = agent.open_case("Müller GmbH: 返金がまだ 🙁")
    card = slack.message("C1", case.card_ts)
    assert "Müller GmbH" in card.all_text() and "返金がまだ 🙁" in card.all_text()
    agent.reply(case, "Анна перезвонит завтра ☎️")
    promised = agent.command(f"promise {case.ref} in 2 hours: 返金を確認する ✅")
    assert "返金を確認する ✅" in promised.text
    shown = agent.command(f"show {case.ref}").text
    for typed in ("Müller GmbH", "返金がまだ 🙁", "Анна перезвонит завтра ☎️", "返金を確認する ✅"):
        assert typed in shown, (typed, shown)
    with bot.db.transaction() as session:
        assert session.execute(select(Case.customer, Case.summary)).one() == ("Müller GmbH", "返金がまだ 🙁")


# ---- the state of the case forbids it ---------------------------------------------------------------


def test_closing_a_case_with_an_open_promise_asks_first_and_it_stays_open(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 2 hours: call back")
    before = Unchanged(bot, slack)
    agent.command(f"close {case.ref} all sorted")
    # The close form asks what became of the promise; until it is answered nothing changes.
    assert agent.modal("casekeeper.close_case")
    before.check("closing with an open promise")
    with bot.db.transaction() as session:
        assert session.execute(select(Case.state)).scalar_one() is CaseState.OPEN
    assert "CASE-1" in agent.command("list").text


def test_a_closed_case_takes_no_new_promise(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"close {case.ref} sorted")
    before = Unchanged(bot, slack)
    refused(agent, f"promise {case.ref} in 1 hour: call back", "CASE-1 is closed already")
    before.check("a promise on a closed case")


def test_done_without_an_open_promise_says_so(agent, slack, bot):
    case = agent.open_case("Acme: refund")
    before = Unchanged(bot, slack)
    refused(agent, f"done {case.ref}", "CASE-1 has no open promise to mark done")
    before.check("done with nothing promised")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    agent.command(f"done {case.ref}")
    before = Unchanged(bot, slack)
    refused(agent, f"done {case.ref}", "CASE-1 has no open promise to mark done")
    before.check("done twice")


# ---- managers ---------------------------------------------------------------------------------------


def test_i_cannot_be_my_own_manager(agent, slack, bot):
    before = Unchanged(bot, slack)
    refused(agent, "manager <@UAGENT|alex>", "You can't be your own manager")
    refused(agent, "manager <@UAGENT>", "You can't be your own manager")
    before.check("naming myself as manager")


def test_a_manager_must_be_mentioned_not_typed(agent, slack, bot):
    before = Unchanged(bot, slack)
    refused(agent, "manager maria", "Mention one person", "Type @ and pick them")
    refused(agent, "manager @maria", "Mention one person")
    refused(agent, "manager <@UMGR> <@UOTHER>", "Mention one person")
    before.check("a manager without a mention")
    assert "You have no manager" in agent.command("manager").text
