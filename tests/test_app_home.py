"""The App Home tab: opening it shows my cases, what I promised that is due today or overdue,
and for managers how their team keeps its promises. Driven by signed `app_home_opened` events;
what the bot publishes is read from the fake Slack API and validated with slack_sdk's models."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot import insights
from bot.insights import describe, end_of_local_day, tally, team_of
from bot.outcomes import Outcome, Tally, outcome
from storage.models import PromiseState
from tests.conftest import link_manager

# ---- helpers -----------------------------------------------------------------------------------


def open_home(signer: Any, bot: Any, user: str, tab: str = "home") -> Any:
    reply = signer.event(
        {
            "type": "app_home_opened",
            "user": user,
            "channel": f"D{user[1:]}",
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
    )
    # Bolt answers 404 to an event no listener matches, and Slack retries it.
    assert reply.status == 200, (reply.status, reply.body)
    bot.settle()
    return reply


def home_of(slack: Any, user: str) -> dict[str, Any]:
    """The last home view published for the user, checked against slack_sdk's models."""
    published = [c for c in slack.views if c.method == "views.publish" and c.params.get("user_id") == user]
    assert published, f"no home was published for {user}: {slack.describe_calls()}"
    view = published[-1].params["view"]
    if isinstance(view, str):  # a form-encoded call carries the view as JSON text
        view = json.loads(view)
    View(**view).validate_json()
    assert view["type"] == "home"
    assert len(view["blocks"]) <= 100
    for block in view["blocks"]:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
    return view


def texts(view: dict[str, Any]) -> list[str]:
    """Each block's text, in order."""
    found = []
    for block in view["blocks"]:
        if block["type"] in ("section", "header"):
            found.append(block["text"]["text"])
        elif block["type"] == "context":
            found.append(" ".join(e.get("text", "") for e in block["elements"]))
        else:
            found.append(f"<{block['type']}>")
    return found


def section_starting(view: dict[str, Any], title: str) -> str:
    """The text of a titled list: its sections up to the next divider or header."""
    blocks = texts(view)
    start = next(i for i, t in enumerate(blocks) if title in t)
    part = [blocks[start]]
    for text in blocks[start + 1 :]:
        if text == "<divider>" or text in ("Your team",):
            break
        part.append(text)
    return "\n".join(part)


def date_token(moment: datetime) -> str:
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|"


# ---- my cases and promises ---------------------------------------------------------------------


def test_home_shows_my_open_cases_with_their_next_promise(agent, other, signer, slack, bot, clock):
    first = agent.open_case("Acme Corp: refund not received")
    agent.open_case("Globex: widget broken")
    other.open_case("Initech: not mine")
    agent.command(f"promise {first.ref} in 2 hours: call back with the tracking number")
    due = clock.now() + timedelta(hours=2)

    open_home(signer, bot, "UAGENT")

    view = home_of(slack, "UAGENT")
    cases = section_starting(view, "Your open cases")
    assert "Your open cases (2)" in cases
    assert "CASE-1" in cases and "Acme Corp" in cases and "refund not received" in cases
    assert "CASE-2" in cases and "Globex" in cases
    assert "CASE-3" not in cases and "Initech" not in cases
    # The case with a promise comes first, its promise and due time as a <!date> token.
    assert cases.index("CASE-1") < cases.index("CASE-2")
    assert "call back with the tracking number" in cases and date_token(due) in cases
    assert "no open promise" in cases.split("CASE-2")[1]


def test_promises_due_today_in_my_time_zone_and_overdue_first(agent, signer, slack, bot, clock):
    # 14:00 UTC on a Monday is 09:00 in New York, where alex is.
    acme = agent.open_case("Acme: refund")
    globex = agent.open_case("Globex: widget")
    initech = agent.open_case("Initech: invoice")
    agent.command(f"promise {acme.ref} in 3 hours: email the receipt")
    agent.command(f"promise {globex.ref} in 1 hour: call back")
    # 11 hours on is 01:00 UTC on Tuesday but still 20:00 on Monday in New York: due today.
    agent.command(f"promise {initech.ref} in 11 hours: send the credit note")
    # 20 hours on is Tuesday morning everywhere: not today.
    agent.command(f"promise {acme.ref} in 20 hours: confirm the refund arrived")
    clock.advance(hours=2)

    open_home(signer, bot, "UAGENT")

    due = section_starting(home_of(slack, "UAGENT"), "Your promises due today and overdue")
    assert "(3)" in due
    assert "call back" in due and "overdue by 1h" in due
    assert "email the receipt" in due and "send the credit note" in due
    assert "confirm the refund arrived" not in due
    # Overdue first, then by due time; each with its case.
    order = [due.index(what) for what in ("call back", "email the receipt", "send the credit note")]
    assert order == sorted(order)
    assert re.search(r"CASE-2\* “call back” · \*overdue by 1h\*", due)
    assert "CASE-1* “email the receipt”" in due and "CASE-3* “send the credit note”" in due


def test_a_case_with_an_overdue_next_promise_says_so(agent, signer, slack, bot, clock):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    clock.advance(hours=1, minutes=5)
    open_home(signer, bot, "UAGENT")
    cases = section_starting(home_of(slack, "UAGENT"), "Your open cases")
    assert "call back" in cases and "*overdue*" in cases


def test_kept_promises_leave_the_due_list(agent, signer, slack, bot, clock):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 1 hour: call back")
    agent.command(f"done {case.ref}")
    open_home(signer, bot, "UAGENT")
    view = home_of(slack, "UAGENT")
    assert "Nothing due today" in section_starting(view, "Your promises due today")
    assert "call back" not in "\n".join(texts(view))


def test_someone_with_nothing_gets_one_line_saying_how_to_start(other, signer, slack, bot):
    open_home(signer, bot, "UOTHER")
    view = home_of(slack, "UOTHER")
    assert len(view["blocks"]) == 1
    (line,) = texts(view)
    assert "/case open" in line and "\n" not in line


def test_the_messages_tab_publishes_nothing_but_is_answered(agent, signer, slack, bot):
    agent.open_case("Acme: refund")
    open_home(signer, bot, "UAGENT", tab="messages")
    assert [c for c in slack.views if c.method == "views.publish"] == []


def test_more_cases_than_blocks_allow_still_validate_and_say_how_many_more(agent, signer, slack, bot):
    total = 105
    for n in range(total):
        agent.command(f"open Customer {n}: problem number {n}")
    open_home(signer, bot, "UAGENT")
    view = home_of(slack, "UAGENT")  # validated there: at most 100 blocks, 3000 chars each
    cases = section_starting(view, "Your open cases")
    shown = len(re.findall(r"CASE-\d+", cases))
    assert f"Your open cases ({total})" in cases
    assert 0 < shown < total
    assert f"and {total - shown} more — `/case list`" in cases


def test_event_is_answered_at_once_even_when_slack_is_slow(agent, signer, slack, bot):
    agent.open_case("Acme: refund")
    slack.delay("views.publish", 3.0)
    started = time.monotonic()
    reply = signer.event({"type": "app_home_opened", "user": "UAGENT", "channel": "DAGENT", "tab": "home"})
    assert reply.status == 200 and time.monotonic() - started < 1.5
    bot.settle(15)
    assert "Acme" in "\n".join(texts(home_of(slack, "UAGENT")))


def test_a_refused_publish_is_logged_not_raised(agent, signer, slack, bot, caplog):
    agent.open_case("Acme: refund")
    slack.fail("views.publish", status=200, error="invalid_arguments")
    open_home(signer, bot, "UAGENT")
    assert "home.publish_failed" in caplog.text and "invalid_arguments" in caplog.text
    slack.clear_faults()
    # And other handlers can redraw someone's home after a change.
    from handlers.listeners.home import publish_home

    assert publish_home(bot.services, "T1", "UAGENT") is True
    assert "Acme" in "\n".join(texts(home_of(slack, "UAGENT")))


# ---- managers ----------------------------------------------------------------------------------


def test_manager_sees_the_team_overdue_promises_and_kept_rate(
    agent, manager, other, person, signer, slack, bot, clock
):
    sam = person("USAM", "sam", tz="Europe/London")
    agent.names_manager("UMGR")
    # sam reports to alex, who reports to maria: sam is on maria's team too.
    sam.names_manager("UAGENT")

    # Ten days ago: kept on time. It counts for 30 days, not for 7.
    old = agent.open_case("Acme: old refund")
    agent.command(f"promise {old.ref} in 1 hour: send the form")
    clock.advance(minutes=30)
    agent.command(f"done {old.ref}")
    clock.advance(days=10)

    on_time = agent.open_case("Globex: widget")
    agent.command(f"promise {on_time.ref} in 1 hour: call back")
    late = agent.open_case("Initech: invoice")
    agent.command(f"promise {late.ref} in 1 hour: send the credit note")
    missed = sam.open_case("Umbrella: delivery")
    sam.command(f"promise {missed.ref} in 1 hour: book the courier")
    not_team = other.open_case("Hooli: outage")
    other.command(f"promise {not_team.ref} in 1 hour: post the status")
    clock.advance(minutes=30)
    agent.command(f"done {on_time.ref}")
    clock.advance(hours=2)
    agent.command(f"done {late.ref}")  # 1h30m after its due time

    open_home(signer, bot, "UMGR")

    view = home_of(slack, "UMGR")
    whole = "\n".join(texts(view))
    assert "Your team" in whole
    # Both were kept half an hour in, before their reminders: kept early.
    assert "Last 7 days: 1 of 3 kept on time (33%), 1 of them early · 1 kept late · 1 missed" in whole
    assert "Last 30 days: 2 of 4 kept on time (50%), 2 of them early · 1 kept late · 1 missed" in whole
    assert "2 people report to you" in whole
    overdue = section_starting(view, "Overdue on your team")
    assert "(1)" in overdue
    assert "<@USAM>" in overdue and missed.ref in overdue and "book the courier" in overdue
    assert "1h 30m late" in overdue
    assert "<@UOTHER>" not in overdue and "post the status" not in overdue
    # maria has no cases of her own: her part says how to start, the team part still shows.
    assert "None. Start one with" in section_starting(view, "Your open cases")

    # alex manages sam only: his team part counts sam's promise and not his own.
    open_home(signer, bot, "UAGENT")
    alex = "\n".join(texts(home_of(slack, "UAGENT")))
    assert "Last 7 days: 0 of 1 kept on time (0%) · 0 kept late · 1 missed" in alex
    assert "1 person reports to you" in alex
    # sam manages nobody: no team part.
    open_home(signer, bot, "USAM")
    assert "Your team" not in "\n".join(texts(home_of(slack, "USAM")))


def test_a_loop_in_the_manager_links_still_draws_the_home(agent, manager, signer, slack, bot):
    agent.names_manager("UMGR")
    # Made before loops were refused.
    link_manager(bot, "UMGR", "UAGENT")
    open_home(signer, bot, "UMGR")
    whole = "\n".join(texts(home_of(slack, "UMGR")))
    assert "1 person reports to you" in whole and "Last 7 days: no promises were due" in whole


# ---- the definitions ---------------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
unit = pytest.mark.backend_independent


@unit
@pytest.mark.parametrize(
    ("state", "due_at", "kept_at", "expected"),
    [
        (PromiseState.KEPT, NOW - HOUR, NOW - HOUR, Outcome.KEPT_ON_TIME),  # at the due time
        (PromiseState.KEPT, NOW - HOUR, NOW - 2 * HOUR, Outcome.KEPT_ON_TIME),
        (PromiseState.KEPT, NOW - HOUR, NOW - HOUR + timedelta(seconds=1), Outcome.KEPT_LATE),
        (PromiseState.OPEN, NOW - timedelta(seconds=1), None, Outcome.MISSED),
        (PromiseState.OPEN, NOW, None, None),  # due this instant: not missed yet
        (PromiseState.OPEN, NOW + HOUR, None, None),
        (PromiseState.RESCHEDULED, NOW - HOUR, None, Outcome.RESCHEDULED),  # never a miss
        ("kept", NOW - HOUR, NOW, Outcome.KEPT_LATE),  # plain strings as the database gives them
    ],
)
def test_outcome_of_one_promise(state, due_at, kept_at, expected):
    assert outcome(state, due_at, kept_at, NOW) == expected


@unit
@pytest.mark.parametrize(
    ("kept_at", "expected"),
    [
        (NOW - HOUR - 16 * MINUTE, Outcome.KEPT_EARLY),  # before the reminder was due
        (NOW - HOUR - 15 * MINUTE, Outcome.KEPT_ON_TIME),  # at the reminder: needed it
        (NOW - HOUR, Outcome.KEPT_ON_TIME),
        (NOW - HOUR + MINUTE, Outcome.KEPT_LATE),
    ],
)
def test_kept_before_the_reminder_is_kept_early(kept_at, expected):
    remind_at = NOW - HOUR - 15 * MINUTE
    assert outcome(PromiseState.KEPT, NOW - HOUR, kept_at, NOW, remind_at) == expected


@unit
@pytest.mark.parametrize(
    ("rescheduled_at", "told", "expected"),
    [
        (NOW - 2 * HOUR, True, Outcome.RESCHEDULED),  # before its due time, the customer told
        (NOW - HOUR, True, Outcome.RESCHEDULED),  # at the due time
        (NOW - HOUR + MINUTE, True, Outcome.MISSED),  # after it was due: an extension of a miss
        (NOW - 2 * HOUR, False, Outcome.MISSED),  # the customer wasn't told
        (None, None, Outcome.RESCHEDULED),  # nothing known of how: taken as in time
    ],
)
def test_only_a_reschedule_before_due_and_told_is_not_a_miss(rescheduled_at, told, expected):
    assert outcome(PromiseState.RESCHEDULED, NOW - HOUR, None, NOW, None, rescheduled_at, told) == expected


@unit
def test_early_counts_as_kept_on_time_and_is_said_apart():
    promises = [
        (PromiseState.KEPT, NOW - HOUR, NOW - 3 * HOUR, NOW - 2 * HOUR),  # early
        (PromiseState.KEPT, NOW - HOUR, NOW - HOUR, NOW - 2 * HOUR),  # on time
        (PromiseState.OPEN, NOW - HOUR, None, NOW - 2 * HOUR),  # missed
    ]
    counts = tally(promises, NOW, timedelta(days=7))
    assert counts == Tally(early=1, on_time=2, missed=1)
    assert counts.percent == 66
    assert describe("Last 7 days", counts) == (
        "Last 7 days: 2 of 3 kept on time (66%), 1 of them early · 0 kept late · 1 missed"
    )


@unit
def test_tally_counts_only_promises_due_inside_the_window():
    week = timedelta(days=7)
    promises = [
        (PromiseState.KEPT, NOW - week, NOW - week),  # the window's first instant: counted
        (PromiseState.KEPT, NOW - week - timedelta(seconds=1), NOW),  # just before: not
        (PromiseState.KEPT, NOW - HOUR, NOW),  # late
        (PromiseState.OPEN, NOW - HOUR, None),  # missed
        (PromiseState.OPEN, NOW + HOUR, None),  # not due yet
        (PromiseState.KEPT, NOW + HOUR, NOW),  # kept early, but not due yet: not counted yet
        (PromiseState.RESCHEDULED, NOW - 2 * HOUR, None),
        (PromiseState.RESCHEDULED, NOW - 2 * HOUR, None),
    ]
    assert tally(promises, NOW, week) == Tally(on_time=1, late=1, missed=1, rescheduled=2)


@unit
def test_rate_is_kept_on_time_over_all_counted_rescheduled_apart():
    counts = Tally(on_time=8, late=1, missed=1, rescheduled=2)
    assert counts.counted == 10 and counts.percent == 80
    assert describe("Last 7 days", counts) == (
        "Last 7 days: 8 of 10 kept on time (80%) · 1 kept late · 1 missed · 2 rescheduled"
    )
    # Rounded down: 100% only when every counted promise was kept on time.
    assert Tally(on_time=199, missed=1).percent == 99
    assert Tally(on_time=2, late=1).percent == 66


@unit
def test_with_nothing_counted_there_is_no_percentage():
    assert Tally().percent is None
    assert describe("Last 30 days", Tally()) == "Last 30 days: no promises were due"
    only_rescheduled = describe("Last 7 days", Tally(rescheduled=3))
    assert only_rescheduled == "Last 7 days: no promises were due · 3 rescheduled"


@unit
def test_team_is_every_report_direct_or_not_and_survives_loops():
    managers = {"alex": "maria", "sam": "alex", "kim": "sam", "lee": "maria", "maria": "kim"}

    def direct_reports(of):
        return [user for user, manager in managers.items() if manager in of]

    assert team_of("sam", direct_reports) == {"kim", "maria", "alex", "lee"}
    assert team_of("kim", direct_reports) == {"maria", "alex", "lee", "sam"}
    assert team_of("lee", direct_reports) == set()
    # Depth is bounded like the manager chain authz walks up.
    assert team_of("maria", direct_reports, max_depth=1) == {"alex", "lee"}
    assert team_of("maria", direct_reports, max_depth=2) == {"alex", "lee", "sam"}


@unit
def test_team_depth_matches_the_authorization_chain():
    from bot.authz import MAX_CHAIN

    chain = {f"u{n}": f"u{n + 1}" for n in range(MAX_CHAIN + 3)}  # u0 → u1 → … a long line

    def direct_reports(of):
        return [user for user, manager in chain.items() if manager in of]

    top = f"u{MAX_CHAIN + 3}"
    assert team_of(top, direct_reports) == {f"u{n}" for n in range(3, MAX_CHAIN + 3)}


@unit
def test_today_ends_at_midnight_on_the_persons_own_clock():
    assert end_of_local_day(NOW, "America/New_York") == datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    assert end_of_local_day(NOW, "Asia/Tokyo") == datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    assert end_of_local_day(NOW, "UTC") == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    assert end_of_local_day(NOW, "Not/AZone") == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    # The day clocks go back in New York is 25 hours long: it still ends at local midnight.
    dst_day = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    assert end_of_local_day(dst_day, "America/New_York") == datetime(2026, 11, 2, 5, 0, tzinfo=UTC)


@unit
def test_windows_are_a_week_and_a_month():
    assert [window for _, window in insights.WINDOWS] == [timedelta(days=7), timedelta(days=30)]
