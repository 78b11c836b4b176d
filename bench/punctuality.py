"""Reminder punctuality: 1,000 promises whose reminders fall due within one minute, sent by
`python -m bot run` to the Slack stand-in holding it to Slack's documented rate limits.

Lateness is measured from each reminder's intended time (its outbox row's run_at, which is
the promise's remind time) to the moment its chat.postMessage reached the stand-in. The
baseline is the floor: the same reminders sent by an ideal sender that knows the limits and
sends each one, in due order, at the earliest moment they allow (`floor_send_times`)."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bench.harness import Context, Row, RunningBot, Section, percentile, slack_standin, wait_until
from bot import cases, promises, team, workhours
from bot.policy import Policy
from slack_standin import SLACK_RATE_LIMITS, RateLimit, RateLimiter, rate_limit_channel
from storage.db import Database
from storage.models import Notification, NotificationKind, NotificationState, Promise

TEAM = "T1"
# The goal: p99 lateness within this of the floor's p99.
SLACK_ALLOWANCE = 2.0
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Kolkata", "America/Los_Angeles", "Australia/Sydney")

# Reminded 15 minutes ahead; escalated an hour after due, long after the run.
SEED_POLICY = Policy(
    reminder_lead=timedelta(minutes=15),
    escalation_grace=timedelta(hours=1),
    escalation_repeat=timedelta(minutes=30),
    escalation_channel=None,
    admins=frozenset(),
    working_hours=workhours.parse("mon-sun 00:00-24:00"),
    digest_schedule=None,
    stale_case_age=timedelta(days=7),
)


@dataclass(frozen=True)
class Scale:
    promises: int
    owners: int
    cases_per_owner: int
    channels: int
    managers: int
    window: float  # seconds the reminders are spread over
    lead: float  # seconds from the bot being up to the first reminder


FULL = Scale(promises=1000, owners=100, cases_per_owner=5, channels=4, managers=5, window=60, lead=10)
QUICK = Scale(promises=50, owners=10, cases_per_owner=2, channels=2, managers=2, window=10, lead=2)


def floor_send_times(
    due: list[tuple[float, str]],
    limits: dict[str, tuple[RateLimit, ...]] = SLACK_RATE_LIMITS,
    *,
    method: str = "chat.postMessage",
    team: str = TEAM,
) -> list[float]:
    """When an ideal sender would send each message (due time, channel), in the order given.

    It knows the limits exactly and is never slowed by anything else: at every moment it sends
    the earliest-due message it may send (the workspace has a token and so has that message's
    channel), so a message stuck behind its own channel's limit doesn't hold up the others."""
    order = sorted(range(len(due)), key=lambda i: (due[i][0], i))
    limiter = RateLimiter(limits)
    sent: list[float | None] = [None] * len(due)
    waiting: list[int] = []  # due, unsent, in due order
    upcoming = 0
    now = due[order[0]][0] if due else 0.0
    while upcoming < len(order) or waiting:
        while upcoming < len(order) and due[order[upcoming]][0] <= now:
            waiting.append(order[upcoming])
            upcoming += 1
        soonest = due[order[upcoming]][0] if upcoming < len(order) else float("inf")
        chosen = None
        for position, index in enumerate(waiting):
            ready = limiter.ready_at(method, team, due[index][1], now)
            if ready <= now:
                chosen = position
                break
            soonest = min(soonest, ready)
        if chosen is None:
            now = soonest
            continue
        index = waiting.pop(chosen)
        limiter.take(method, team, due[index][1], now)
        sent[index] = now
    return [moment for moment in sent if moment is not None]


def run(ctx: Context) -> Section:
    scale = QUICK if ctx.quick else FULL
    section = Section(
        "Reminder punctuality under Slack's rate limits",
        f"{scale.promises} promises of {scale.owners} agents (in {scale.channels} channels) whose "
        f"reminders fall due within {scale.window:.0f} s, seeded through the domain API on SQLite; "
        "`python -m bot run` sends them to the stand-in enforcing Slack's documented limits "
        "(slack_standin/rate_limits.py SLACK_RATE_LIMITS: chat.postMessage 1/s per channel, 600/min per "
        "workspace). Lateness = arrival of the reminder's chat.postMessage − its outbox run_at. "
        f"Baseline: the floor, an ideal sender under the same limits (floor_send_times). "
        f"Ratio = bot p99 / (floor p99 + {SLACK_ALLOWANCE:.0f} s); ≤ 1 meets the goal.",
    )
    started = time.monotonic()
    slack = slack_standin()
    rng = random.Random(6)
    owners = [f"UOWNER{n:03d}" for n in range(scale.owners)]
    managers = [f"UMGR{n:02d}" for n in range(scale.managers)]
    for number, user in enumerate(owners + managers):
        slack.set_user(user, name=user.lower(), tz=ZONES[number % len(ZONES)])
    url = ctx.sqlite_url("punctuality")
    db = Database(url)
    db.migrate()
    seeded = _seed(db, scale, owners, managers, rng)
    print(f"  punctuality: seeded {seeded} promises in {time.monotonic() - started:.1f}s")
    slack.enforce_rate_limits()
    # Weekly digests are not what this figure measures; off, so only reminders are posted.
    bot = RunningBot(ctx.workdir, slack, url, name="punctual-bot", DIGEST_SCHEDULE="off")
    try:
        first = time.time() + scale.lead
        planned = _move_to(db, first)
        floor = floor_send_times([(at, rate_limit_channel(to) or to) for at, to in planned.values()])
        floor_lateness = [sent - at for sent, (at, _) in zip(floor, planned.values(), strict=True)]
        deadline = max(floor) - time.time() + 60
        wait_until(
            lambda: _reminders_posted(slack) >= len(planned),
            timeout=deadline,
            what=f"{len(planned)} reminders",
            every=0.25,
        )
        time.sleep(1 if ctx.quick else 3)  # a second copy of any reminder would arrive about now
        finished = time.time()
    finally:
        bot.stop()
        slack.stop()
    posts = slack.calls("chat.postMessage")
    arrivals: dict[int, list[float]] = {}
    for call in posts:
        key = _notification_id(call)
        if call.status == 200 and call.error is None and key in planned:
            arrivals.setdefault(key, []).append(call.at)
    twice = sum(1 for times in arrivals.values() if len(times) > 1)
    lost = len(planned) - len(arrivals)
    lateness = [min(times) - planned[key][0] for key, times in arrivals.items()]
    refused = Counter(c.method for c in slack.calls() if c.status == 429)
    why = _why_refused(posts)
    others = [c for c in posts if c.status == 200 and _notification_id(c) not in planned]
    states = _states(db)
    db.dispose()

    p50, p99 = percentile(lateness, 50), percentile(lateness, 99)
    floor_p50, floor_p99 = percentile(floor_lateness, 50), percentile(floor_lateness, 99)
    ratio = p99 / (floor_p99 + SLACK_ALLOWANCE)
    section.rows.append(
        Row(
            case=f"{len(planned)} reminders due within {scale.window:.0f} s (SQLite)",
            value=f"p50 {p50:.2f} s, p99 {p99:.2f} s, max {max(lateness):.2f} s",
            baseline=f"floor p50 {floor_p50:.2f} s, p99 {floor_p99:.2f} s",
            ratio=f"{ratio:.2f} (p99 {p99 - floor_p99:+.2f} s from the floor's)",
            goal=f"p99 ≤ floor p99 + {SLACK_ALLOWANCE:.0f} s",
            met=ratio <= 1,
        )
    )
    section.rows.append(
        Row(
            case="429s answered to the bot",
            value=(", ".join(f"{n} {method}" for method, n in refused.most_common()) or "0")
            + f" ({why['channel']} at a DM's 1/s, {why['workspace']} at the workspace's limit"
            + (f", {why['unclear']} unclear)" if why["unclear"] else ")"),
            baseline="0 (the floor never asks too early)",
            goal="report it",
        )
    )
    section.rows.append(
        Row(
            case="reminders sent twice / lost",
            value=f"{twice} / {lost}",
            baseline="0 / 0",
            goal="0 / 0",
            met=twice == 0 and lost == 0,
        )
    )
    section.notes.append(
        f"Last reminder arrived {max(max(t) for t in arrivals.values()) - first:.1f} s after the first "
        f"was due (floor: {max(floor) - first:.1f} s); outbox states after the run: {dict(states)}; "
        f"other messages posted meanwhile: {len(others)}."
    )
    section.notes += [
        "Where the time above the floor goes: Slack's Retry-After is whole seconds, so after a 429 "
        "the bot waits a full second and then sends what the workspace bucket refilled in one burst, "
        "where the ideal sender spaces its posts 0.1 s apart; that adds up to about a second to a "
        "reminder's wait and nothing to throughput (the bucket holds more than a second's refill).",
        "A 429 pauses the whole dispatcher (bot/delivery/dispatcher.py), not only the channel that met its "
        "limit. Here that costs nothing: the replay above attributes the 429s to the limit they met, "
        "and with each agent's reminders some seconds apart and a DM allowing a burst of 3, the DM "
        "limit is rarely if ever the one.",
        "Profile (py-spy record on the bot during a full run, while building this figure): the bot "
        "was busy under a tenth of the time; of that, about 40% was the HTTP call to the stand-in "
        "(a new connection per call), 20% giving back the rest of a claimed batch after a 429 and "
        "10% rendering. Nothing in the bot dominated lateness, so nothing was changed.",
    ]
    section.seconds = time.monotonic() - started
    print(
        f"  punctuality: bot {section.rows[0].value} | {section.rows[0].baseline} | {ratio:.2f} | "
        f"429s {sum(refused.values())} | twice/lost {twice}/{lost} | "
        f"{finished - first:.0f}s after the first due, {section.seconds:.0f}s in all"
    )
    return section


def _seed(db: Database, scale: Scale, owners: list[str], managers: list[str], rng: random.Random) -> int:
    """Agents with cases in a few channels and promises whose reminders fall due within the
    window, planned an hour ahead (`_move_to` brings them to the run). The case cards and the
    promise notes that came with them count as already posted: only reminders are measured."""
    now = datetime.now(UTC)
    start = now + timedelta(hours=1)
    per_case = -(-scale.promises // (scale.owners * scale.cases_per_owner))
    made = 0
    with db.transaction() as session:
        for number, owner in enumerate(owners):
            team.set_manager(
                session, team_id=TEAM, user_id=owner, manager_id=managers[number % len(managers)], now=now
            )
            for case_number in range(scale.cases_per_owner):
                case, _ = cases.open_case(
                    session,
                    team_id=TEAM,
                    channel_id=f"C{(number + case_number) % scale.channels + 1}",
                    owner_id=owner,
                    customer=f"Customer {number}-{case_number}",
                    summary="parcel not delivered",
                    now=now,
                )
                case.card_ts = f"{now.timestamp():.0f}.{made:06d}"
                for _ in range(per_case):
                    if made == scale.promises:
                        break
                    remind_at = start + timedelta(seconds=rng.uniform(0, scale.window))
                    promises.make_promise(
                        session,
                        case=case,
                        description=f"call back about parcel {made}",
                        # Reminded 15 minutes ahead; escalated an hour after due, long after the run.
                        due_at=remind_at + timedelta(minutes=15),
                        made_by=owner,
                        now=now,
                        policy=SEED_POLICY,
                    )
                    made += 1
    with db.transaction() as session:
        session.execute(
            update(Notification)
            .where(Notification.kind.in_(_ALREADY_POSTED), Notification.state == NotificationState.PENDING)
            .values(state=NotificationState.SENT, sent_at=now)
        )
    return made


_ALREADY_POSTED = (NotificationKind.CASE_CARD, NotificationKind.CARD_UPDATE, NotificationKind.PROMISE_NOTE)


def _move_to(db: Database, first: float) -> dict[int, tuple[float, str]]:
    """Move the whole plan in time so the first reminder falls due at `first` (epoch seconds):
    promises and their outbox rows by the same amount, so the plan stays the domain's own.
    Returns each reminder's outbox id -> (run_at, recipient)."""
    with db.transaction() as session:
        earliest = session.execute(
            select(Notification.run_at)
            .where(Notification.kind == NotificationKind.REMINDER)
            .order_by(Notification.run_at)
            .limit(1)
        ).scalar_one()
        shift = datetime.fromtimestamp(first, UTC) - earliest.replace(tzinfo=UTC)
        for promise in session.execute(select(Promise)).scalars():
            promise.due_at += shift
            promise.remind_at += shift
            promise.escalate_at += shift
        pending = select(Notification).where(Notification.state == NotificationState.PENDING)
        for row in session.execute(pending).scalars():
            row.run_at += shift
    with db.transaction() as session:
        rows = session.execute(
            select(Notification.id, Notification.run_at, Notification.recipient).where(
                Notification.kind == NotificationKind.REMINDER
            )
        ).all()
    return {row.id: (row.run_at.replace(tzinfo=UTC).timestamp(), row.recipient) for row in rows}


def _why_refused(posts) -> Counter:  # type: ignore[no-untyped-def]
    """Which limit each refused post met, found by replaying the posts in arrival order through
    the same limits (arrival times are the stand-in's, taken a moment before its limiter looks,
    so this is close, not exact)."""
    limiter = RateLimiter()
    why: Counter = Counter(channel=0, workspace=0)
    for call in sorted(posts, key=lambda c: c.at):
        channel = rate_limit_channel(call.params.get("channel"))
        buckets = limiter.buckets("chat.postMessage", TEAM, channel, call.at)
        empty = [bucket.limit.scope for bucket in buckets if bucket.ready_at(call.at) > call.at]
        if call.status == 429:
            why.update(set(empty) or {"unclear"})
        else:
            limiter.take("chat.postMessage", TEAM, channel, call.at)
    return why


def _reminders_posted(slack) -> int:  # type: ignore[no-untyped-def]
    return slack.call_count("chat.postMessage", status=200)


def _notification_id(call) -> int | None:  # type: ignore[no-untyped-def]
    metadata = call.params.get("metadata") or {}
    return (metadata.get("event_payload") or {}).get("notification_id")


def _states(db: Database) -> Counter:
    with db.transaction() as session:
        rows = session.execute(
            select(Notification.state).where(Notification.kind == NotificationKind.REMINDER)
        ).scalars()
        return Counter(state.value for state in rows)
