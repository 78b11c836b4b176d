"""Memory of one `python -m bot run` process: idle, after 100k events, after a second 100k.
What a long-running process must not do is grow with the work it has done."""

from __future__ import annotations

import time

from bench.harness import (
    Context,
    Row,
    RunningBot,
    Section,
    make_many,
    open_cases,
    rss_kib,
    settle,
    slack_standin,
)
from bench.load import send_all

EVENTS = 100_000
QUICK_EVENTS = 1_000
# Of every 20 events, 1 is a reply in a case thread (a contact: database rows, a reaction, a card
# update) and 19 are the channel chatter a bot subscribed to message.channels also receives.
REPLY_EVERY = 20
BATCH = 5_000
SENDERS = 20
# Allowed growth between the first and the second 100k: allocator noise, not a leak.
NOISE_KIB = 4 * 1024
# What the work of a flood may add to an idle process at all (issue: ≤ idle + 30 MiB): events
# wait in the durable inbox, not in memory.
FLOOD_KIB = 30 * 1024


def run(ctx: Context) -> Section:
    section = Section(
        "Memory of the bot",
        f"RSS of `python -m bot run` (SQLite), its web process and its worker together, from /proc: "
        f"started and idle, then after each of two "
        f"rounds of events sent by {SENDERS} senders at once. One event in {REPLY_EVERY} is a reply in a "
        "case thread, logged as a contact; the rest are top-level channel messages. The baseline of "
        "the second round is the first: a process that keeps what it has done grows between them.",
    )
    count = QUICK_EVENTS if ctx.quick else EVENTS
    slack = slack_standin()
    bot = RunningBot(ctx.workdir, slack, ctx.sqlite_url("memory"), name="memory-bot")
    try:
        threads = open_cases(bot, slack, 20)
        settle(slack, bot)
        time.sleep(2)
        idle = rss_kib(bot.pid)
        print(f"  memory idle: {idle / 1024:.1f} MiB")
        after: list[int] = []
        sent = 0
        for _round in range(2):
            for start in range(0, count, BATCH):
                size = min(BATCH, count - start)
                requests = make_many(
                    size, lambda maker, n, base=sent + start: _event(maker, base + n, threads), slack
                )
                send_all(bot.url, requests, SENDERS)
            sent += count
            settle(slack, bot)
            after.append(rss_kib(bot.pid))
            print(f"  memory after {sent} events: {after[-1] / 1024:.1f} MiB")
        growth = after[1] - after[0]
        section.rows += [
            Row(case="idle, after start-up", value=_mib(idle)),
            Row(
                case=f"after {count:,} events",
                value=_mib(after[0]),
                baseline=_mib(idle),
                ratio=f"{after[0] / idle:.2f}×",
                goal=f"≤ idle + {FLOOD_KIB // 1024} MiB",
                met=after[0] - idle <= FLOOD_KIB,
            ),
            Row(
                case=f"after {2 * count:,} events",
                value=_mib(after[1]),
                baseline=_mib(after[0]),
                ratio=f"{after[1] / after[0]:.2f}×",
                goal=f"≤ idle + {FLOOD_KIB // 1024} MiB; no growth over the second {count:,}"
                f" (≤ {NOISE_KIB // 1024} MiB noise)",
                met=growth <= NOISE_KIB and after[1] - idle <= FLOOD_KIB,
            ),
        ]
    finally:
        bot.stop()
        slack.stop()
    return section


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def _event(maker, number: int, threads: list[str]):  # type: ignore[no-untyped-def]
    if number % REPLY_EVERY == 0:
        return maker.thread_reply(
            f"Spoke to the customer ({number})", thread_ts=threads[number % len(threads)]
        )
    return maker.event(
        {
            "type": "message",
            "channel": "C1",
            "user": "UAGENT",
            "text": f"anyone seen the parcel scanner? ({number})",
            "ts": (ts := maker.next_ts()),
            "event_ts": ts,
            "channel_type": "channel",
            "team": "T1",
        }
    )
