"""The test rig: the real bot (Bolt app behind waitress on 127.0.0.1), a real database (a SQLite
file, or PostgreSQL when TEST_DATABASE_URL is set), the Slack stand-in serving the Web API over
HTTP, and a client that signs requests exactly as Slack does. Time is a ManualClock the tests
move; nothing of our own code is patched."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.app.build import build_app, build_dashboard, build_event_feed, build_services
from bot.app.health import Probes
from bot.app.settings import Settings
from bot.app.web import make_server
from bot.clock import ManualClock
from bot.policy import Admins, Policy
from bot.retention import Retention
from handlers.ids import ActionId
from handlers.listeners.event_lane import EVENT_CAPACITY, EVENT_THREADS
from handlers.services import Services
from slack_standin import FakeSlackAPI, Reply, SlackEventsClient, StoredView, texts_in
from storage.db import Database
from tests.browser import browser, second_browser  # noqa: F401  (fixtures: a real headless Chromium)

SIGNING_SECRET = "test-signing-secret"
# A Monday, 14:00 UTC: working hours in Europe, morning in the Americas.
START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener executor, counting work in flight so tests can wait for the work a
    request started after its ack (instead of sleeping)."""

    def __init__(self) -> None:
        super().__init__(max_workers=32, thread_name_prefix="test-listener")
        self._in_flight = 0
        self._idle = threading.Condition()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        with self._idle:
            self._in_flight += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> None:
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout):
                raise AssertionError(f"listeners still busy after {timeout}s")


def database_url_for_test(tmp_path: Any) -> Iterator[str]:
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'casekeeper.sqlite3'}"
        return
    # One schema per test on the shared server: isolated and much cheaper than a database.
    schema = f"t_{uuid.uuid4().hex[:12]}"
    # pre_ping: a test may have restarted the server (tests/test_database_outage.py).
    admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    with admin.connect() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    joiner = "&" if "?" in base else "?"
    try:
        yield f"{base}{joiner}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    # `make test` runs the suite twice, on SQLite and on PostgreSQL; pure tests need one run.
    if os.environ.get("TEST_DATABASE_URL"):
        skip = pytest.mark.skip(reason="backend independent: run on SQLite")
        for item in items:
            if item.get_closest_marker("backend_independent"):
                item.add_marker(skip)


@pytest.fixture
def database_url(tmp_path: Any) -> Iterator[str]:
    yield from database_url_for_test(tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def slack(clock: ManualClock) -> Iterator[FakeSlackAPI]:
    # Message ts follow the test clock, as Slack's follow real time.
    api = FakeSlackAPI(team_id="T1", time_func=lambda: clock.now().timestamp()).start()
    api.set_user("UAGENT", name="alex", tz="America/New_York")
    api.set_user("UMGR", name="maria", tz="Europe/Berlin")
    api.set_user("UOTHER", name="olga", tz="Asia/Tokyo")
    yield api
    api.stop()
    # Slack would have refused these (a bad view, 51 blocks, a spent trigger_id): the person saw
    # nothing, even if the bot logged it and carried on. Tests that provoke one say so first
    # with slack.expect_rejections().
    if api.rejected and not api.rejections_expected:
        pytest.fail("Slack refused calls:\n" + "\n".join(f"  {r}" for r in api.rejected), pytrace=False)


def make_settings(slack: FakeSlackAPI, database_url: str, **overrides: Any) -> Settings:
    settings = Settings(
        bot_token="xoxb-test-token",
        signing_secret=SIGNING_SECRET,
        app_token=None,
        api_url=slack.base_url,
        database_url=database_url,
        port=3000,
        reminder_lead=timedelta(minutes=15),
        escalation_grace=timedelta(0),
        escalation_repeat=timedelta(minutes=30),
        # No quiet hours, as deployed by default; tests/test_escalation_chain.py and
        # tests/test_quiet_hours.py cover working hours.
        working_hours=None,
    )
    return replace(settings, **overrides)


def seeding_policy(**overrides: Any) -> Policy:
    """The rules for rows a test writes straight through the domain (seeding a database the bot
    under test then reads): the test settings' own, or these overrides of them."""
    policy = Policy(
        reminder_lead=timedelta(minutes=15),
        escalation_grace=timedelta(0),
        escalation_repeat=timedelta(minutes=30),
        escalation_channel=None,
        admins=Admins(),
        working_hours=None,
        digest_schedule=None,
        stale_case_age=timedelta(days=7),
        retention=Retention(),
    )
    names = {"lead": "reminder_lead", "grace": "escalation_grace"}
    return replace(policy, **{names.get(name, name): value for name, value in overrides.items()})


class RunningBot:
    """The bot as Slack sees it: an HTTP server at `url`."""

    def __init__(
        self,
        settings: Settings,
        clock: ManualClock,
        *,
        event_lane: tuple[int, int] = (EVENT_THREADS, EVENT_CAPACITY),
        **app_options: Any,
    ):
        self.settings = settings
        self.clock = clock
        self.db = Database(settings.database_url)
        self.db.migrate()
        self.services: Services = build_services(settings, self.db, clock)
        self.listeners = TrackingExecutor()
        # The web side and the worker's event feed in one process, as `run` on an in-memory
        # database has them: what the app records, the feed takes up (bot.settle() waits for it).
        threads, capacity = event_lane
        self.events = build_event_feed(self.services, threads=threads, capacity=capacity).start()
        self.app = build_app(
            self.services,
            settings,
            listener_executor=self.listeners,
            wake_events=self.events.wake,
            **app_options,
        )
        self.probes = Probes(self.services, stalled_after=settings.dispatcher_stalled_after)
        self.server = make_server(
            self.app,
            self.db,
            host="127.0.0.1",
            port=0,
            probes=self.probes,
            dashboard=build_dashboard(self.services, settings),
        )
        self.url = f"http://127.0.0.1:{self.server.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.server.serve()

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until the work started by earlier requests has finished: their listeners, the
        work after their acks, the events they brought."""
        self.listeners.wait_idle(timeout)
        if not self.services.wait_idle(timeout):
            raise AssertionError(f"work after acks or events still busy after {timeout}s")

    def tick(self) -> int:
        """One dispatcher pass at the clock's current time (what the worker loop does)."""
        self.settle()
        return self.services.dispatcher.tick()

    def stop(self) -> None:
        self.settle()
        self.server.shutdown(grace=5)
        self._thread.join(5)
        self.listeners.shutdown(wait=True)
        self.services.stop_lanes(5)
        self.db.dispose()


@dataclass
class Opened:
    ref: str
    case_id: int
    channel: str
    card_ts: str


class Person:
    """One person using Slack: sends signed requests as them and reads what Slack shows them."""

    def __init__(self, user_id: str, client: SlackEventsClient, slack: FakeSlackAPI, bot: RunningBot):
        self.user_id = user_id
        self.client = client
        self.slack = slack
        self.bot = bot

    def command(self, text: str, channel: str = "C1") -> Any:
        before = len(self.slack.responses)
        reply = self.client.command(text, user=self.user_id, channel=channel)
        assert reply.status == 200, (reply.status, reply.body)
        self.bot.settle()
        return CommandResult(reply, self.slack.responses[before:])

    def open_case(self, text: str, channel: str = "C1") -> Opened:
        self.command(f"open {text}", channel=channel)
        cards = [m for m in self.slack.messages(channel) if m.thread_ts is None and "CASE-" in m.all_text()]
        assert cards, "no case card was posted"
        card = cards[-1]
        ref = re.search(r"CASE-\d+", card.all_text()).group(0)  # type: ignore[union-attr]
        return Opened(ref=ref, case_id=int(ref.split("-")[1]), channel=channel, card_ts=card.ts)

    def reply(self, case: Opened, text: str, **kwargs: Any) -> Any:
        reply = self.client.thread_reply(
            text, thread_ts=case.card_ts, user=self.user_id, channel=case.channel, **kwargs
        )
        assert reply.status == 200, (reply.status, reply.body)
        self.bot.settle()
        return reply

    def dms(self) -> list[Any]:
        """The DMs they got, but for those of setting up the team with names_manager() (tests of
        that read slack.dms_to)."""
        setup = getattr(self.slack, "setup_dms", set())
        return [m for m in self.slack.dms_to(self.user_id) if (m.channel, m.ts) not in setup]

    def names_manager(self, manager_id: str) -> Any:
        """`/case manager @them`, and they accept: they click Accept on the DM asking them."""
        before = {(m.channel, m.ts) for m in self.slack.messages()}
        asked = self.command(f"manager <@{manager_id}>")
        manager = Person(manager_id, self.client, self.slack, self.bot)
        requests = [m for m in manager.dms() if ActionId.MANAGER_ACCEPT.value in action_ids(m)]
        assert requests, f"{manager_id} was not asked to accept: {asked.text}"
        manager.click(requests[-1], ActionId.MANAGER_ACCEPT.value)
        made = {(m.channel, m.ts) for m in self.slack.messages()} - before
        # Kept on the stand-in itself: it lives exactly as long as the messages it names.
        self.slack.setup_dms = getattr(self.slack, "setup_dms", set()) | made
        return asked

    def write_to_bot(self, text: str, *, thread_ts: str | None = None) -> Any:
        """Write to the bot in its DM (in the thread of one of its messages there, if given)."""
        reply = self.client.direct_message(text, user=self.user_id, thread_ts=thread_ts)
        assert reply.status == 200, (reply.status, reply.body)
        self.bot.settle()
        return reply

    # ---- interactivity: what they click, submit and open ----------------------------------

    def click(
        self,
        where: Any,
        action_id: str,
        *,
        value: Any = None,
        option: Any = None,
        options: list[Any] | None = None,
        date: Any = None,
        time: Any = None,
        selected_user: str | None = None,
        block_id: str | None = None,
    ) -> Reply:
        """Act on the element `action_id` in a message, ephemeral, response or view (its current
        version), as Slack would post it; waits for the work the bot started. `value` picks one
        of several buttons sharing the action_id (or is the text typed into an input); option,
        options, date, time, selected_user are what was chosen in selects and pickers."""
        reply = self.client.block_action(
            where,
            action_id,
            user=self.user_id,
            value=value,
            option=option,
            options=options,
            date=date,
            time=time,
            selected_user=selected_user,
            block_id=block_id,
        )
        assert reply.status == 200, (reply.status, reply.body)
        self.bot.settle()
        return reply

    def submit(
        self, view: StoredView, values: dict[str, Any] | None = None, *, check_inputs: bool = True
    ) -> Reply:
        """Fill in `values` ({block_id: python value}) and press Submit. The Reply's .json holds
        the bot's response_action / errors; the stand-in has already acted on it."""
        reply = self.client.view_submission(view, values, user=self.user_id, check_inputs=check_inputs)
        assert reply.status == 200, (reply.status, reply.body)
        self.bot.settle()
        return reply

    def close(self, view: StoredView) -> Reply | None:
        """Press Cancel. Slack tells the bot only if the view asked (notify_on_close)."""
        current = self.slack.view(view.id) or view
        if not current.view.get("notify_on_close"):
            self.slack.close_view(view.id)
            return None
        reply = self.client.view_closed(current, user=self.user_id)
        assert reply.status == 200, (reply.status, reply.body)
        self.bot.settle()
        return reply

    def modal(self, callback_id: str | None = None) -> StoredView:
        """The modal on top of their screen (with `callback_id`)."""
        shown = [v for v in self.slack.open_views(self.user_id) if callback_id in (None, v.callback_id)]
        if not shown:
            every = [
                f"{v.id} {v.callback_id!r} closed={v.closed}" for v in self.slack.all_views(self.user_id)
            ]
            raise AssertionError(
                f"no open modal{f' {callback_id!r}' if callback_id else ''} for {self.user_id}; "
                f"their views: {every or 'none'}; {self.slack.describe_calls()}"
            )
        return shown[-1]

    def open_home(self, tab: str = "home") -> StoredView | None:
        """Open the app's Home tab: app_home_opened, then the Home the bot published, if any."""
        reply = self.client.home_opened(self.user_id, tab=tab)
        assert reply.status == 200, (reply.status, reply.body)
        self.bot.settle()
        return self.slack.home_of(self.user_id)


@dataclass
class CommandResult:
    http: Any
    responses: list[Any]

    @property
    def immediate_text(self) -> str:
        """What the ack itself showed (ephemeral), if anything."""
        return _all_text(self.http.json) if self.http.json else ""

    @property
    def text(self) -> str:
        """Everything the person was shown for this command: the ack and later responses."""
        parts = [self.immediate_text] + [_all_text(r.body) for r in self.responses]
        return "\n".join(p for p in parts if p)

    @property
    def ephemeral(self) -> bool:
        bodies = ([self.http.json] if self.http.json else []) + [r.body for r in self.responses]
        return bool(bodies) and all(b.get("response_type", "ephemeral") == "ephemeral" for b in bodies)


def action_ids(message: Any) -> list[str]:
    """The buttons (and other elements) a message shows, by action_id."""
    return [
        element.get("action_id")
        for block in message.blocks or []
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


def link_manager(bot: RunningBot, user_id: str, manager_id: str, team_id: str = "T1") -> None:
    """A manager link in force written straight to the database, as links made before managers
    had to accept them are (the only way left to make a loop of them)."""
    from bot import team

    with bot.db.transaction() as session:
        team.set_manager(
            session, team_id=team_id, user_id=user_id, manager_id=manager_id, now=bot.clock.now()
        )


def _all_text(value: Any) -> str:
    return "\n".join(texts_in(value))


@pytest.fixture
def bot_settings(slack: FakeSlackAPI, database_url: str) -> Settings:
    return make_settings(slack, database_url)


@pytest.fixture
def bot(bot_settings: Settings, clock: ManualClock) -> Iterator[RunningBot]:
    running = RunningBot(bot_settings, clock)
    yield running
    running.stop()


@pytest.fixture
def signer(bot: RunningBot, slack: FakeSlackAPI) -> SlackEventsClient:
    return SlackEventsClient(bot.url, SIGNING_SECRET, team_id="T1", api=slack)


@pytest.fixture
def agent(signer: SlackEventsClient, slack: FakeSlackAPI, bot: RunningBot) -> Person:
    return Person("UAGENT", signer, slack, bot)


@pytest.fixture
def manager(signer: SlackEventsClient, slack: FakeSlackAPI, bot: RunningBot) -> Person:
    return Person("UMGR", signer, slack, bot)


@pytest.fixture
def other(signer: SlackEventsClient, slack: FakeSlackAPI, bot: RunningBot) -> Person:
    return Person("UOTHER", signer, slack, bot)


@pytest.fixture
def person(signer: SlackEventsClient, slack: FakeSlackAPI, bot: RunningBot) -> Any:
    """Someone else in the workspace: person("USAM", "sam")."""

    def make(user_id: str, name: str, tz: str = "Europe/London") -> Person:
        slack.set_user(user_id, name=name, tz=tz)
        return Person(user_id, signer, slack, bot)

    return make


def wait_until(predicate: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("condition not met in time")
