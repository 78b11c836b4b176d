"""Every human reply in a case thread is a logged contact; edits and deletions keep history."""


def test_reply_in_case_thread_is_logged_and_acknowledged_with_a_reaction(agent, slack, bot):
    case = agent.open_case("Acme Corp: refund not received")
    agent.reply(case, "Called customer, left voicemail")
    bot.tick()
    reactions = [r for r in slack.reactions if r.timestamp == agent.client.last_ts]
    assert len(reactions) == 1 and reactions[0].channel == "C1"
    shown = agent.command(f"show {case.ref}")
    assert "Called customer, left voicemail" in shown.text and "<@UAGENT>" in shown.text
    assert "Contacts (1)" in shown.text


def test_slack_retry_of_the_same_event_is_processed_once(agent, signer, slack, bot):
    case = agent.open_case("Acme: refund")
    first = signer.thread_reply("Emailed the customer", thread_ts=case.card_ts, user="UAGENT")
    event_id, ts = signer.last_event_id, signer.last_ts
    bot.settle()
    again = signer.thread_reply(
        "Emailed the customer", thread_ts=case.card_ts, user="UAGENT", ts=ts, event_id=event_id, retry_num=1
    )
    assert (first.status, again.status) == (200, 200)
    bot.settle()
    bot.tick()
    assert agent.command(f"show {case.ref}").text.count("Emailed the customer") == 1
    assert len([r for r in slack.reactions if r.timestamp == ts]) == 1
    assert len(slack.calls("reactions.add")) == 1


def test_retry_after_a_restart_is_still_recognised(agent, signer, slack, bot, bot_settings, clock):
    from tests.conftest import SIGNING_SECRET, Person, RunningBot

    case = agent.open_case("Acme: refund")
    signer.thread_reply("First call", thread_ts=case.card_ts, user="UAGENT")
    event_id, ts = signer.last_event_id, signer.last_ts
    bot.stop()
    restarted = RunningBot(bot_settings, clock)
    try:
        from slack_standin import SlackEventsClient

        client = SlackEventsClient(restarted.url, SIGNING_SECRET, team_id="T1", api=slack)
        reply = client.thread_reply(
            "First call", thread_ts=case.card_ts, user="UAGENT", ts=ts, event_id=event_id, retry_num=2
        )
        assert reply.status == 200
        restarted.settle()
        shown = Person("UAGENT", client, slack, restarted).command(f"show {case.ref}")
        assert shown.text.count("First call") == 1
    finally:
        restarted.stop()


def test_edit_and_delete_are_recorded_never_lost(agent, signer, bot):
    case = agent.open_case("Acme: refund")
    agent.reply(case, "Customer says the parcel is lost")
    ts = signer.last_ts
    signer.edit_reply(
        channel="C1", ts=ts, thread_ts=case.card_ts, new_text="Customer says the parcel arrived damaged"
    )
    bot.settle()
    shown = agent.command(f"show {case.ref}").text
    assert "arrived damaged" in shown and "(edited)" in shown
    signer.delete_reply(channel="C1", ts=ts, thread_ts=case.card_ts)
    bot.settle()
    shown = agent.command(f"show {case.ref}").text
    assert "arrived damaged" in shown and "deleted in Slack" in shown

    from sqlalchemy import select

    from storage.models import ContactRevision

    with bot.db.transaction() as session:
        history = [(r.change, r.previous_text) for r in session.execute(select(ContactRevision)).scalars()]
    assert history == [
        ("edited", "Customer says the parcel is lost"),
        ("deleted", "Customer says the parcel arrived damaged"),
    ]


def test_bot_messages_and_other_threads_are_not_contacts(agent, signer, slack, bot):
    case = agent.open_case("Acme: refund")
    signer.bot_reply("Automated: ticket synced", thread_ts=case.card_ts)
    signer.thread_reply("Unrelated chatter", thread_ts="1600000000.000100", user="UAGENT")
    signer.event(
        {"type": "message", "channel": "C1", "user": "UAGENT", "text": "top level", "ts": "1700000099.000001"}
    )
    bot.settle()
    bot.tick()
    shown = agent.command(f"show {case.ref}").text
    assert "Contacts (" not in shown and "None logged yet" in shown
    assert slack.reactions == []


def test_the_bots_own_thread_notes_are_not_contacts(agent, signer, slack, bot):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 2 hours: call back")
    note = slack.thread("C1", case.card_ts)[-1]
    # Slack delivers the bot's own message back as an event; it must not become a contact.
    reply = signer.event(
        {
            "type": "message",
            "channel": "C1",
            "user": "UBOT",
            "bot_id": "BBOT",
            "text": note.text,
            "ts": note.ts,
            "thread_ts": case.card_ts,
        }
    )
    assert reply.status == 200
    bot.settle()
    assert "None logged yet" in agent.command(f"show {case.ref}").text


def test_a_reply_while_the_card_is_still_being_posted_is_logged(signer, slack, bot):
    """Slack shows the card (and people reply to it) before it has answered the bot's post, and
    the card's ts is written only with that answer: the reply must still find its case."""
    from sqlalchemy import select

    from storage.models import Contact

    slack.delay_answer("chat.postMessage", 1.5)
    reply = signer.command("open Acme Corp: refund not received", user="UAGENT", channel="C1")
    assert reply.status == 200
    card = slack.wait_for(
        lambda: next((m for m in slack.messages("C1") if "CASE-1" in m.all_text()), None),
        what="the card in C1",
    )
    answer = signer.thread_reply(
        "Called them: refund is on its way", thread_ts=card.ts, user="UAGENT", channel="C1"
    )
    assert answer.status == 200
    bot.settle()
    with bot.db.transaction() as session:
        assert [c.text for c in session.execute(select(Contact)).scalars()] == [
            "Called them: refund is on its way"
        ]
