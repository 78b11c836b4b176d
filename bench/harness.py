"""What every figure needs: a work folder, the Slack stand-in, the bot started as an operator
starts it (`python -m bot run`), signed Slack requests prepared ahead, and percentiles."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import Prepared, send_all
from slack_standin import FakeSlackAPI, Reply, SlackEventsClient, sign
from tests.processes import BotProcess, bot_env, free_port, migrate, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"


@dataclass
class Context:
    """One run: where its files go, the PostgreSQL server if there is one, how big to go."""

    workdir: Path
    postgres_url: str | None
    quick: bool = False

    def sqlite_url(self, name: str) -> str:
        path = self.workdir / f"{name}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"

    def postgres_schema_url(self, name: str) -> str | None:
        """A fresh schema of its own on the run's PostgreSQL, so figures never see each other's
        rows."""
        if self.postgres_url is None:
            return None
        from sqlalchemy import create_engine, text

        engine = create_engine(self.postgres_url)
        with engine.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {name}"))
        engine.dispose()
        return f"{self.postgres_url}?options=-csearch_path%3D{name}"


@dataclass
class Row:
    """One line of a figure's table. `ratio` is value / baseline (or its inverse, as the
    figure says); `met` None when the figure has no goal for this line."""

    case: str
    value: str
    baseline: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool | None = None


@dataclass
class Section:
    title: str
    how: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile: the smallest value with at least p% of values at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def slack_standin() -> FakeSlackAPI:
    api = FakeSlackAPI(team_id="T1").start()
    api.set_user("UAGENT", name="alex", tz="America/New_York")
    api.set_user("UMGR", name="morgan", tz="America/New_York")
    return api


class RunningBot:
    """`python -m bot <command>` in its own process, migrated first, on a port of its own."""

    def __init__(
        self,
        workdir: Path,
        slack: FakeSlackAPI,
        database_url: str,
        *,
        command: str = "run",
        name: str = "bot",
        **settings: str,
    ):
        self.port = free_port()
        self.env = bot_env(
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.base_url,
            DATABASE_URL=database_url,
            PORT=str(self.port),
            **settings,
        )
        folder = workdir / name
        folder.mkdir(exist_ok=True)
        migrate(self.env, folder)
        self.process = BotProcess(command, self.env, folder, name=name)
        self.url = self.process.wait_healthy(self.port) if command in ("run", "web") else ""
        if command in ("run", "worker"):
            # The worker (run's child) warms up its time parser for a few seconds of CPU after
            # the web process answers: measuring before it is ready would count that as work.
            self.process.wait_for_log("worker.started", timeout=120)

    @property
    def pid(self) -> int:
        return self.process.process.pid

    def stop(self) -> None:
        if self.process.process.poll() is None:
            self.process.terminate(30)
        else:
            self.process.kill()


class BareApp:
    """The baseline for acknowledgements: a Bolt app with one handler that only acks, served by
    the same server (bot/app/web.py, waitress) in its own process."""

    def __init__(
        self, workdir: Path, slack: FakeSlackAPI, *, commit_events: bool = False, name: str = "bare"
    ):
        self.port = free_port()
        env = bot_env(
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=slack.base_url,
            PORT=str(self.port),
            BARE_DB=str(workdir / f"{name}.db"),
            BARE_COMMIT_EVENTS="1" if commit_events else "0",
        )
        self._log = (workdir / f"{name}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.bare_app"], cwd=workdir, env=env, stdout=self._log, stderr=self._log
        )
        self.url = f"http://127.0.0.1:{self.port}"
        if not wait_healthy(self.url, self.process):
            raise RuntimeError(f"{self.process.args} did not start: see {workdir / f'{name}.log'}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


class RequestMaker(SlackEventsClient):
    """The stand-in's Slack request builders, kept instead of sent: the load generator sends
    them itself, many at once. Signed when made, as Slack signs when it sends."""

    def __init__(self, api: FakeSlackAPI):
        super().__init__("http://unused", SECRET, api=api)
        self.made: list[Prepared] = []

    def post(  # type: ignore[override]
        self,
        body: bytes,
        content_type: str,
        *,
        headers: dict[str, str | None] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Reply:
        stamp = int(time.time()) if timestamp is None else timestamp
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature or sign(SECRET, body, stamp),
        }
        all_headers.update({k: v for k, v in (headers or {}).items() if v is not None})
        self.made.append(Prepared(body, all_headers))
        return Reply(status=0, body="", json=None, headers=None, elapsed=0.0)  # type: ignore[arg-type]


def make_many(count: int, build: Callable[[RequestMaker, int], Any], api: FakeSlackAPI) -> list[Prepared]:
    maker = RequestMaker(api)
    for number in range(count):
        build(maker, number)
    return maker.made


def process_tree(pid: int) -> list[int]:
    """A process and its children, theirs too (Linux /proc): `python -m bot run` is the web
    process and its worker (bot/app/child_worker.py), and every figure counts both."""
    pids, index = [pid], 0
    while index < len(pids):
        # Listed per thread: the worker may have been started again by another thread.
        for task in Path(f"/proc/{pids[index]}/task").glob("*"):
            try:
                pids += [int(child) for child in (task / "children").read_text().split()]
            except FileNotFoundError:
                continue
        index += 1
    return pids


def rss_kib(pid: int) -> int:
    """Resident set size of a process and its children, from /proc (Linux)."""
    total = 0
    for each in process_tree(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    if not total:
        raise RuntimeError(f"no VmRSS for {pid}")
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and its children, from /proc (Linux)."""
    total = 0
    for each in process_tree(pid):
        fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def postgres_url_from_env() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def open_cases(bot: RunningBot, slack: FakeSlackAPI, count: int) -> list[str]:
    """Cases whose threads the replies go to: opened through the bot, cards posted by it."""
    before = len(slack.messages("C1"))
    requests = make_many(count, lambda maker, n: maker.command(f"open Customer {n}: bench case {n}"), slack)
    send_all(bot.url, requests, 4)
    cards = wait_until(
        lambda: (found := slack.messages("C1")[before:]) and len(found) >= count and found,
        60,
        "the case cards",
    )
    return [card.ts for card in cards]


def settle(slack: FakeSlackAPI, bot: RunningBot, quiet: float = 0.5, timeout: float = 120) -> None:
    """Wait until the bot's follow-up work (cards, reactions, card updates) has gone quiet, so
    one measurement doesn't pay for the last one's tail."""
    deadline = time.monotonic() + timeout
    last, since = len(slack.calls()), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now_calls = len(slack.calls())
        if now_calls != last:
            last, since = now_calls, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
