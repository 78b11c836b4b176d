"""Reminder punctuality, sent by `python -m bot run` to the Slack stand-in: many reminders due in
the same second with Slack answering everything (how fast the bot itself gets them out), and
1,000 reminders due within one minute under Slack's documented rate limits.

Lateness is measured from each reminder's intended time (its outbox row's run_at, which is
the promise's remind time) to the moment its chat.postMessage reached the stand-in. Without
limits the baseline is that intended time; under the limits it is the floor: the same
reminders sent by an ideal sender that knows the limits and sends each one, in due order, at
the earliest moment they allow (`floor_send_times`)."""

from __future__ import annotations

import random
import time
from collections import Counter

from bench.harness import Context, Row, RunningBot, Section, percentile, slack_standin, wait_until
from bench.reminders import TEAM, ZONES, Scale, move_to, reminders_posted, seed, seen, states
from slack_standin import SLACK_RATE_LIMITS, FakeSlackAPI, RateLimit, RateLimiter, rate_limit_channel
from storage.db import Database

# The goals: without limits, p99 lateness within this of the intended time; under Slack's
# limits, p99 within this of the floor's p99.
BURST_ALLOWANCE = 1.0
SLACK_ALLOWANCE = 1.0

# 200 reminders due in the same second, to 100 agents (two each, so each DM has an order to
# keep), three times 20 s apart in one process: one round's p99 is its second-latest reminder.
BURST = Scale(
    promises=200, owners=100, cases_per_owner=3, channels=4, managers=5, window=1, lead=10, rounds=3, gap=20
)
BURST_QUICK = Scale(promises=50, owners=25, cases_per_owner=1, channels=2, managers=2, window=1, lead=3)
# Slack answering at once (what this machine can do), and each Slack call taking 100 ms: an
# assumed round trip to Slack's API from a server near it plus Slack's own work, not measured
# here. Sending one after another, that alone makes the 200th reminder 20 s late.
SLACK_LATENCIES = (0.0, 0.1)
LIMITED = Scale(promises=1000, owners=100, cases_per_owner=5, channels=4, managers=5, window=60, lead=10)
LIMITED_QUICK = Scale(promises=50, owners=10, cases_per_owner=2, channels=2, managers=2, window=10, lead=2)


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
    burst = BURST_QUICK if ctx.quick else BURST
    limited = LIMITED_QUICK if ctx.quick else LIMITED
    section = Section(
        "Reminder punctuality",
        f"Reminders seeded through the domain API on SQLite and sent by `python -m bot run` to the "
        "stand-in. Lateness = arrival of the reminder's chat.postMessage − its outbox run_at. "
        f"Without limits: {burst.promises} reminders to {burst.owners} agents due within the same "
        f"second, {burst.rounds} time(s) {burst.gap:.0f} s apart, once with Slack answering at once "
        "and once with every Slack call taking 100 ms (the stand-in waits before answering; the "
        "arrival is still counted when the call comes in); the baseline is the intended time, "
        f"ratio = p99 / {BURST_ALLOWANCE:.0f} s. Under limits: {limited.promises} reminders of "
        f"{limited.owners} agents (cases in {limited.channels} channels) due within "
        f"{limited.window:.0f} s, the stand-in enforcing Slack's documented limits "
        "(slack_standin/rate_limits.py SLACK_RATE_LIMITS: chat.postMessage 1/s per channel, "
        "600/min per workspace); the baseline is the floor, an ideal sender under the same limits "
        f"(floor_send_times), ratio = bot p99 / (floor p99 + {SLACK_ALLOWANCE:.0f} s). ≤ 1 meets "
        "the goal.",
    )
    started = time.monotonic()
    section.rows += _burst(ctx, burst, section.notes)
    section.rows += _limited(ctx, limited, section.notes)
    section.notes += [
        "How the bot sends (bot/delivery/): up to 32 sender threads, one lane per conversation, each "
        "conversation one message at a time in due order. The size is from the 100 ms line above, "
        "run with other sizes by hand (p99: 4 threads 4.8 s, 8 1.8 s, 16 0.63 s, 32 0.52 s, "
        "64 0.51 s); past 32 the bot's own work is what remains (one SQLite writer, one GIL).",
        "Where the time above the floor goes under limits: Slack's Retry-After is whole seconds, so "
        "after a 429 the bot waits a full second and then sends what the workspace bucket refilled "
        "in one burst, where the ideal sender spaces its posts 0.1 s apart; that adds up to about a "
        "second to a reminder's wait and nothing to throughput.",
        "After a 429 the bot sends one at a time until Slack has not answered 429 for 10 s (a 429 "
        "doesn't say whether the channel's limit or the workspace's was met). Sent side by side "
        "under the workspace's limit it earned about 1,500 429s instead of about 90, and p99 2.3 s "
        "over the floor's instead of 0.7 s: whichever post reached Slack first took the token the "
        "earliest due one was waiting for.",
    ]
    section.seconds = time.monotonic() - started
    return section


def _start(ctx: Context, name: str, scale: Scale) -> tuple[FakeSlackAPI, Database, str]:
    began = time.monotonic()
    slack = slack_standin()
    for number, user in enumerate(scale.owner_ids + scale.manager_ids):
        slack.set_user(user, name=user.lower(), tz=ZONES[number % len(ZONES)])
    url = ctx.sqlite_url(name)
    db = Database(url)
    db.migrate()
    seeded = seed(db, scale, random.Random(6))
    print(f"  punctuality: seeded {seeded} promises in {time.monotonic() - began:.1f}s")
    return slack, db, url


def _send_all(
    ctx: Context, slack: FakeSlackAPI, db: Database, url: str, name: str, scale: Scale, extra: float
) -> tuple[dict[int, tuple[float, str]], float]:
    """Start the bot, bring the first reminder to `lead` seconds from now and wait for every
    reminder (and `extra` seconds more); returns the plan and the time the first was due."""
    # Weekly digests are not what this figure measures; off, so only reminders are posted.
    bot = RunningBot(ctx.workdir, slack, url, name=name, DIGEST_SCHEDULE="off")
    try:
        first = time.time() + scale.lead
        planned = move_to(db, first)
        wait_until(
            lambda: reminders_posted(slack) >= len(planned),
            timeout=scale.lead + scale.rounds * scale.gap + extra + 60,
            what=f"{len(planned)} reminders",
            every=0.25,
        )
        time.sleep(1 if ctx.quick else 3)  # a second copy of any reminder would arrive about now
    finally:
        bot.stop()
        slack.stop()
    return planned, first


def _burst(ctx: Context, scale: Scale, notes: list[str]) -> list[Row]:
    rows: list[Row] = []
    twice = lost = out_of_order = 0
    for latency in SLACK_LATENCIES:
        slack, db, url = _start(ctx, "burst", scale)
        if latency:
            slack.delay("*", latency)
        planned, first = _send_all(ctx, slack, db, url, "burst-bot", scale, extra=0)
        got = seen(slack.calls("chat.postMessage"), planned)
        rows_left = dict(states(db))
        db.dispose()
        twice, lost, out_of_order = twice + got.twice, lost + got.lost, out_of_order + got.out_of_order
        late = list(got.lateness.values())
        rounds: list[list[float]] = [[] for _ in range(scale.rounds)]
        for key, lateness in got.lateness.items():
            rounds[int((planned[key][0] - first) // scale.gap) if scale.gap else 0].append(lateness)
        p50, p99 = percentile(late, 50), percentile(late, 99)
        worst = max(percentile(r, 99) for r in rounds if r)
        answered = f"each Slack call taking {latency * 1000:.0f} ms" if latency else "Slack answering at once"
        notes.append(
            f"Without limits, {answered}: p99 of each round "
            f"{', '.join(f'{percentile(r, 99):.2f} s' for r in rounds if r)}; outbox states after the "
            f"run: {rows_left}; a person's reminders out of due order: {got.out_of_order}."
        )
        print(f"  punctuality: same second, {answered}: {p50:.2f}/{p99:.2f} s (worst round {worst:.2f})")
        rows.append(
            Row(
                case=f"{scale.promises} reminders due in the same second, no limits, {answered} (SQLite)",
                value=f"p50 {p50:.2f} s, p99 {p99:.2f} s (worst round {worst:.2f} s), max {max(late):.2f} s",
                baseline="intended time",
                ratio=f"{p99 / BURST_ALLOWANCE:.2f}",
                goal=f"p99 ≤ {BURST_ALLOWANCE:.0f} s",
                met=p99 <= BURST_ALLOWANCE,
            )
        )
    rows.append(
        Row(
            case="same second: reminders sent twice / lost / out of a person's order",
            value=f"{twice} / {lost} / {out_of_order}",
            baseline="0 / 0 / 0",
            goal="0 / 0 / 0",
            met=twice == 0 and lost == 0 and out_of_order == 0,
        )
    )
    return rows


def _limited(ctx: Context, scale: Scale, notes: list[str]) -> list[Row]:
    slack, db, url = _start(ctx, "punctuality", scale)
    slack.enforce_rate_limits()
    extra = scale.promises / 10  # the workspace's 600 a minute
    planned, first = _send_all(ctx, slack, db, url, "punctual-bot", scale, extra=extra)
    floor = floor_send_times([(at, rate_limit_channel(to) or to) for at, to in planned.values()])
    floor_lateness = [sent - at for sent, (at, _) in zip(floor, planned.values(), strict=True)]
    posts = slack.calls("chat.postMessage")
    got = seen(posts, planned)
    refused = Counter(c.method for c in slack.calls() if c.status == 429)
    why = _why_refused(posts)
    rows_left = dict(states(db))
    db.dispose()
    late = list(got.lateness.values())
    p50, p99 = percentile(late, 50), percentile(late, 99)
    floor_p50, floor_p99 = percentile(floor_lateness, 50), percentile(floor_lateness, 99)
    ratio = p99 / (floor_p99 + SLACK_ALLOWANCE)
    notes.append(
        f"Under limits: the last reminder arrived {got.last_arrival - first:.1f} s after the first was due "
        f"(floor: {max(floor) - first:.1f} s); outbox states after the run: {rows_left}; a person's "
        f"reminders out of due order: {got.out_of_order}."
    )
    print(
        f"  punctuality: limited p50 {p50:.2f} p99 {p99:.2f} | floor {floor_p50:.2f}/{floor_p99:.2f} | "
        f"{ratio:.2f} | 429s {sum(refused.values())} | twice/lost {got.twice}/{got.lost}"
    )
    return [
        Row(
            case=f"{len(planned)} reminders due within {scale.window:.0f} s, Slack's limits (SQLite)",
            value=f"p50 {p50:.2f} s, p99 {p99:.2f} s, max {max(late):.2f} s",
            baseline=f"floor p50 {floor_p50:.2f} s, p99 {floor_p99:.2f} s",
            ratio=f"{ratio:.2f} (p99 {p99 - floor_p99:+.2f} s from the floor's)",
            goal=f"p99 ≤ floor p99 + {SLACK_ALLOWANCE:.0f} s",
            met=ratio <= 1,
        ),
        Row(
            case="429s answered to the bot",
            value=(", ".join(f"{n} {method}" for method, n in refused.most_common()) or "0")
            + f" ({why['channel']} at a DM's 1/s, {why['workspace']} at the workspace's limit"
            + (f", {why['unclear']} unclear)" if why["unclear"] else ")"),
            baseline="0 (the floor never asks too early)",
            goal="report it",
        ),
        Row(
            case="under limits: reminders sent twice / lost / out of a person's order",
            value=f"{got.twice} / {got.lost} / {got.out_of_order}",
            baseline="0 / 0 / 0",
            goal="0 / 0 / 0",
            met=got.twice == 0 and got.lost == 0 and got.out_of_order == 0,
        ),
    ]


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
