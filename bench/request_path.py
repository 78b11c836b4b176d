"""The request path under load (DESIGN.md §7), each figure against a baseline in the same run:

- thread-reply acks at 20 senders, against a bare Bolt app that commits each event to SQLite
  (WAL) before its ack: the least an app that keeps what Slack sent it must do;
- slash-command acks while 1,000 replies are being handled, and again while Slack takes 4 s a
  call, against the bare Bolt app under the same replies: must stay near it and never be 404;
- CPU per logged thread reply of the bot (its web and worker processes), against the bare
  app's CPU per request."""

from __future__ import annotations

import threading
import time

from bench.harness import (
    BareApp,
    Context,
    Row,
    RunningBot,
    Section,
    cpu_seconds,
    make_many,
    ms,
    open_cases,
    percentile,
    settle,
    slack_standin,
    wait_until,
)
from bench.load import send_all
from slack_standin import FakeSlackAPI

CASES = 20
REPLY_SENDERS = 20
REPLIES = 2000
QUICK_REPLIES = 200
FLOOD = 1000
QUICK_FLOOD = 150
COMMANDS = 100
QUICK_COMMANDS = 20
SLOW_SLACK_S = 4.0
CPU_GOAL_MS = 4.0


def run(ctx: Context) -> Section:
    section = Section(
        "The request path: acks under load, CPU per reply",
        "Signed HTTP to `python -m bot run` (SQLite) and to the bare Bolt app (bench/bare_app.py) "
        "on the same server, in their own processes, in the same run. Commands are sent one at a "
        "time while the replies are sent by many senders at once; a command answered 404 is Bolt "
        "giving up on an ack after 3 s. CPU is user + system time of the bot's web process and its "
        "worker together, from /proc.",
    )
    slack = slack_standin()
    bot = RunningBot(ctx.workdir, slack, ctx.sqlite_url("request_path"), name="path-bot")
    bare = BareApp(ctx.workdir, slack, commit_events=True, name="bare-commit")
    try:
        threads = open_cases(bot, slack, CASES)
        _reply_acks(ctx, section, slack, bot, bare, threads)
        _commands_under_replies(ctx, section, slack, bot, bare, threads, slow=False)
        _commands_under_replies(ctx, section, slack, bot, bare, threads, slow=True)
    finally:
        slack.clear_delays()
        bare.stop()
        bot.stop()
        slack.stop()
    return section


def _replies(slack: FakeSlackAPI, threads: list[str], count: int, first: int):  # type: ignore[no-untyped-def]
    def build(maker, n):  # type: ignore[no-untyped-def]
        return maker.thread_reply(f"Called the customer ({first + n})", thread_ts=threads[n % len(threads)])

    return make_many(count, build, slack)


def _reply_acks(
    ctx: Context, section: Section, slack: FakeSlackAPI, bot: RunningBot, bare: BareApp, threads: list[str]
) -> None:
    count = QUICK_REPLIES if ctx.quick else REPLIES
    measured: dict[str, tuple[list[float], float]] = {}
    for name, url, pid in (("bare", bare.url, bare.pid), ("bot", bot.url, bot.pid)):
        send_all(url, _replies(slack, threads, 50, 10_000), 5)
        settle(slack, bot)
        before = cpu_seconds(pid)
        latencies, _ = send_all(url, _replies(slack, threads, count, 0), REPLY_SENDERS)
        if name == "bot":
            _wait_logged(bot, count)
            settle(slack, bot)
        measured[name] = (latencies, (cpu_seconds(pid) - before) / count * 1000)
    bot_p99, bare_p99 = percentile(measured["bot"][0], 99), percentile(measured["bare"][0], 99)
    section.rows.append(
        Row(
            case=f"thread reply ack, {REPLY_SENDERS} at once ({count} replies)",
            value=f"p50 {ms(percentile(measured['bot'][0], 50))}, p99 {ms(bot_p99)}",
            baseline=f"p99 {ms(bare_p99)} (bare app committing each event)",
            ratio=f"{bot_p99 / bare_p99:.2f}×",
            goal="p99 ≤ 1.5× baseline",
            met=bot_p99 / bare_p99 <= 1.5,
        )
    )
    bot_cpu, bare_cpu = measured["bot"][1], measured["bare"][1]
    section.rows.append(
        Row(
            case="CPU per logged thread reply (web and worker processes, all their work)",
            value=f"{bot_cpu:.1f} ms",
            baseline=f"{bare_cpu:.2f} ms per request (bare app)",
            ratio=f"{bot_cpu / bare_cpu:.1f}×",
            goal=f"≤ {CPU_GOAL_MS:.0f} ms",
            met=bot_cpu <= CPU_GOAL_MS,
        )
    )
    print(f"  reply acks: bot p99 {ms(bot_p99)} | bare p99 {ms(bare_p99)}")
    print(f"  cpu per reply: bot {bot_cpu:.1f} ms | bare {bare_cpu:.2f} ms")


def _commands_under_replies(
    ctx: Context,
    section: Section,
    slack: FakeSlackAPI,
    bot: RunningBot,
    bare: BareApp,
    threads: list[str],
    *,
    slow: bool,
) -> None:
    flood = QUICK_FLOOD if ctx.quick else FLOOD
    commands = QUICK_COMMANDS if ctx.quick else COMMANDS
    results: dict[str, tuple[list[float], int]] = {}
    for name, url in (("bare", bare.url), ("bot", bot.url)):
        if slow:
            slack.delay("*", SLOW_SLACK_S)
        sender = threading.Thread(
            target=send_all, args=(url, _replies(slack, threads, flood, 20_000), REPLY_SENDERS), daemon=True
        )
        sender.start()
        time.sleep(0.2)
        results[name] = _command_acks(slack, url, commands)
        sender.join(120)
        slack.clear_delays()
        settle(slack, bot)
    (bot_acks, bot_404), (bare_acks, _) = results["bot"], results["bare"]
    ratio = percentile(bot_acks, 99) / percentile(bare_acks, 99)
    where = f"while Slack takes {SLOW_SLACK_S:.0f} s a call" if slow else "with Slack answering at once"
    section.rows.append(
        Row(
            case=f"/case list ack while {flood} replies arrive, {where} ({commands} commands)",
            value=f"p99 {ms(percentile(bot_acks, 99))}, {bot_404} × 404",
            baseline=f"p99 {ms(percentile(bare_acks, 99))} (bare app, same replies)",
            ratio=f"{ratio:.2f}×",
            goal="p99 ≤ 1.5× bare, never a 404",
            met=ratio <= 1.5 and bot_404 == 0,
        )
    )
    bot_p99, bare_p99 = ms(percentile(bot_acks, 99)), ms(percentile(bare_acks, 99))
    print(f"  commands {where}: bot p99 {bot_p99} ({bot_404} x 404), bare {bare_p99}")


def _command_acks(slack: FakeSlackAPI, url: str, count: int) -> tuple[list[float], int]:
    """`count` commands one after another: their ack latencies, and how many were 404."""
    latencies: list[float] = []
    missed = 0
    for number in range(count):
        request = make_many(1, lambda maker, n: maker.command("list"), slack)
        try:
            taken, _ = send_all(url, request, 1)
            latencies += taken
        except RuntimeError:
            missed += 1
            latencies.append(3.0)
        if number % 10 == 0:
            time.sleep(0.05)
    return latencies, missed


def _wait_logged(bot: RunningBot, at_least: int) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(bot.env["DATABASE_URL"])
    try:

        def logged() -> bool:
            with engine.connect() as connection:
                return int(connection.execute(text("SELECT count(*) FROM contacts")).scalar_one()) >= at_least

        wait_until(logged, 300, "every reply logged", every=0.2)
    finally:
        engine.dispose()


