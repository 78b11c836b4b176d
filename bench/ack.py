"""Acknowledgement latency: `/case open` and a thread reply, at 1, 20 and 100 senders at once,
over real signed HTTP, against the bare Bolt app on the same server in the same run."""

from __future__ import annotations

from bench.harness import (
    BareApp,
    Context,
    Row,
    RunningBot,
    Section,
    make_many,
    ms,
    open_cases,
    percentile,
    settle,
    slack_standin,
)
from bench.load import send_all

LEVELS = (1, 20, 100)
# How many requests per level (after a warm-up): enough for a p99 to mean something.
COUNTS = {1: 200, 20: 800, 100: 1500}
QUICK_COUNTS = {1: 40, 20: 200, 100: 400}
WARM_UP = 30
QUICK_WARM_UP = 10
CASES_FOR_REPLIES = 20
# Slack's own limit: an event or command answered later counts as failed and is retried.
SLACK_ACK_LIMIT = 3.0


def run(ctx: Context) -> Section:
    section = Section(
        "Acknowledgement latency",
        "Signed HTTP requests from N senders at once on keep-alive connections, each sending its "
        "next request when the last is answered. The baseline is a Bolt app whose only handlers "
        "ack, served by the same server (bot/app/web.py) in its own process, measured in the same run. "
        "Ratio = bot p99 / bare p99.",
    )
    counts = QUICK_COUNTS if ctx.quick else COUNTS
    warm_up = QUICK_WARM_UP if ctx.quick else WARM_UP
    slack = slack_standin()
    bot = RunningBot(ctx.workdir, slack, ctx.sqlite_url("ack"), name="ack-bot")
    bare = BareApp(ctx.workdir, slack)
    try:
        threads = open_cases(bot, slack, CASES_FOR_REPLIES)
        for kind in ("/case open", "thread reply"):
            slowest = 0.0
            for level in LEVELS:
                count = counts[level]
                results = {}
                for name, url in (("bare", bare.url), ("bot", bot.url)):
                    build = _builder(kind, threads)
                    send_all(url, make_many(warm_up, build, slack), min(level, warm_up))
                    settle(slack, bot)
                    latencies, _ = send_all(url, make_many(count, build, slack), level)
                    results[name] = latencies
                    settle(slack, bot)
                bot_p50, bot_p99 = percentile(results["bot"], 50), percentile(results["bot"], 99)
                bare_p50, bare_p99 = percentile(results["bare"], 50), percentile(results["bare"], 99)
                slowest = max(slowest, *results["bot"])
                ratio = bot_p99 / bare_p99
                met = ratio <= 1.5 and (level != 20 or bot_p99 < 0.100)
                goal = "p99 ≤ 1.5× bare" + (", < 100 ms" if level == 20 else "")
                section.rows.append(
                    Row(
                        case=f"{kind}, {level} at once ({count} requests)",
                        value=f"p50 {ms(bot_p50)}, p99 {ms(bot_p99)}",
                        baseline=f"p50 {ms(bare_p50)}, p99 {ms(bare_p99)}",
                        ratio=f"{ratio:.2f}×",
                        goal=goal,
                        met=met,
                    )
                )
                row = section.rows[-1]
                print(f"  ack {kind} x{level}: bot {row.value} | bare {row.baseline} | {ratio:.2f}x")
            section.rows.append(
                Row(
                    case=f"{kind}, the slowest at any level",
                    value=ms(slowest),
                    goal=f"< {SLACK_ACK_LIMIT:.0f} s (Slack's limit)",
                    met=slowest < SLACK_ACK_LIMIT,
                )
            )
    finally:
        bare.stop()
        bot.stop()
        slack.stop()
    return section


def _builder(kind: str, threads: list[str]):  # type: ignore[no-untyped-def]
    if kind == "/case open":
        return lambda maker, n: maker.command(f"open Acme {n}: parcel {n} not delivered")
    return lambda maker, n: maker.thread_reply(
        f"Called the customer, left a voicemail ({n})", thread_ts=threads[n % len(threads)]
    )
