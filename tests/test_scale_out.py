"""Several processes on one PostgreSQL: every notification goes out exactly once, every event
is applied once.

Three `python -m bot worker` processes share the outbox while 500 promises fall due within
the same few seconds; the fake Slack must see each planned message once, none missing."""

from __future__ import annotations

import os
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from bot import cases, promises, team
from slack_standin import FakeSlackAPI, SlackEventsClient
from storage.db import Database
from storage.models import Contact, Notification, NotificationKind
from tests.conftest import seeding_policy
from tests.processes import BotProcess, bot_env, free_port, migrate

ROOT = Path(__file__).resolve().parents[1]
PROMISES = 500
WORKERS = 3

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="needs PostgreSQL (scripts/with-postgres sets TEST_DATABASE_URL)",
)


def test_three_workers_send_every_reminder_and_escalation_exactly_once(tmp_path, database_url):
    db = Database(database_url)
    db.migrate()
    now = datetime.now(UTC)
    first_due = now + timedelta(seconds=25)
    with db.transaction() as session:
        team.set_manager(session, team_id="T1", user_id="UAGENT", manager_id="UMGR", now=now)
        for index in range(PROMISES // 10):
            case, _ = cases.open_case(
                session,
                team_id="T1",
                channel_id="C1",
                owner_id="UAGENT",
                customer=f"Customer {index}",
                summary="refund",
                now=now,
            )
            case.card_ts = f"{now.timestamp() + index:.6f}"
            for number in range(10):
                promises.make_promise(
                    session,
                    case=case,
                    description=f"call back #{index}-{number}",
                    due_at=first_due + timedelta(milliseconds=20 * (index * 10 + number)),
                    made_by="UAGENT",
                    now=now,
                    policy=seeding_policy(lead=timedelta(seconds=15), grace=timedelta(0)),
                )
    with db.transaction() as session:
        # The cards are never posted here, so there is nothing to redraw (chat.update).
        session.execute(delete(Notification).where(Notification.kind == NotificationKind.CARD_UPDATE))
    with db.transaction() as session:
        # Everything due in this test's minute; the next escalation levels are 30 minutes on.
        soon = now + timedelta(minutes=5)
        planned = {
            row.id: row.kind
            for row in session.execute(select(Notification)).scalars()
            if row.run_at.replace(tzinfo=UTC) < soon
        }
    db.dispose()

    with FakeSlackAPI(team_id="T1") as slack:
        env = bot_env(SLACK_BOT_TOKEN="xoxb-scale", SLACK_API_URL=slack.base_url, DATABASE_URL=database_url)
        workers = [BotProcess("worker", env, tmp_path, name=f"worker{n}") for n in range(WORKERS)]
        try:
            deadline = time.monotonic() + 120
            while len(slack.calls("chat.postMessage")) < len(planned) and time.monotonic() < deadline:
                if any(w.process.poll() is not None for w in workers):
                    pytest.fail("a worker died:\n" + "\n".join(w.log()[-2000:] for w in workers))
                time.sleep(0.5)
            time.sleep(3)  # anything sent twice would arrive now
            exit_codes = [w.terminate(20) for w in workers]
        finally:
            for worker in workers:
                worker.kill()

        posts = [c for c in slack.calls("chat.postMessage") if c.status == 200]
        reactions = slack.calls("reactions.add")
    sent_ids = Counter(c.params["metadata"]["event_payload"]["notification_id"] for c in posts)
    card_ids = {i for i, kind in planned.items() if kind is NotificationKind.CASE_CARD}
    twice = {i: n for i, n in sent_ids.items() if n > 1}
    assert twice == {}, f"sent more than once: {twice}"
    assert set(sent_ids) == set(planned), f"missing: {sorted(set(planned) - set(sent_ids))[:10]}"
    kinds = Counter(planned[i].value for i in sent_ids)
    assert kinds["reminder"] == PROMISES and kinds["escalation"] == PROMISES
    assert len(card_ids) == PROMISES // 10 and reactions == []
    assert exit_codes == [0] * WORKERS
    # Every worker took part: the work really was shared, not left to one process.
    sent_by_worker = [w.log().count("notification.sent") for w in workers]
    assert all(count > 0 for count in sent_by_worker), sent_by_worker
    assert sum(sent_by_worker) == len(planned)


def test_two_web_processes_apply_each_event_once_when_slack_retries_to_the_other(tmp_path, database_url):
    """Slack's retry of an event can land on another web process behind the load balancer,
    even while the first is still working on it, and two workers share the inbox: one contact
    and one reaction each."""
    secret = "scale-secret"
    with FakeSlackAPI(team_id="T1") as slack:
        ports = [free_port(), free_port()]
        envs = [
            bot_env(
                SLACK_BOT_TOKEN="xoxb-scale",
                SLACK_SIGNING_SECRET=secret,
                SLACK_API_URL=slack.base_url,
                DATABASE_URL=database_url,
                PORT=str(port),
            )
            for port in ports
        ]
        migrate(envs[0], tmp_path)
        webs = [BotProcess("web", env, tmp_path, name=f"web{n}") for n, env in enumerate(envs)]
        # Two workers take the events from the shared inbox, each claiming what it takes.
        workers = [BotProcess("worker", envs[n], tmp_path, name=f"worker{n}") for n in range(2)]
        try:
            clients = [
                SlackEventsClient(web.wait_healthy(port), secret, api=slack)
                for web, port in zip(webs, ports, strict=True)
            ]
            for index in range(5):
                assert clients[index % 2].command(f"open Customer {index}: parcel lost").status == 200
            slack.wait_for(lambda: len(slack.messages("C1")) == 5, timeout=30, what="five cards")
            cards = [m.ts for m in slack.messages("C1")]

            def deliver_twice(number: int) -> list[int]:
                ts, event_id = clients[0].next_ts(), f"EvSCALE{number:04d}"
                text = f"Contact #{number}"
                with ThreadPoolExecutor(2) as both:
                    replies = both.map(
                        lambda n: clients[n].thread_reply(
                            text, thread_ts=cards[number % 5], ts=ts, event_id=event_id, retry_num=n or None
                        ),
                        (0, 1),
                    )
                    return [r.status for r in replies]

            with ThreadPoolExecutor(10) as pool:
                statuses = list(pool.map(deliver_twice, range(100)))
            assert statuses == [[200, 200]] * 100
            slack.wait_for(lambda: len(slack.calls("reactions.add")) >= 100, timeout=60, what="100 reactions")
            time.sleep(1)  # a second reaction for any message would show now
            assert [w.terminate(20) for w in webs + workers] == [0, 0, 0, 0]
        finally:
            for process in webs + workers:
                process.kill()
        reactions = Counter(c.params["timestamp"] for c in slack.calls("reactions.add"))
    db = Database(database_url)
    with db.transaction() as session:
        contacts = session.execute(select(func.count()).select_from(Contact)).scalar_one()
    db.dispose()
    assert contacts == 100
    assert len(reactions) == 100 and set(reactions.values()) == {1}
    # Of each pair exactly one was the duplicate, whichever process it reached; both web
    # processes did real work (each posted cards).
    assert sum(w.log().count("event.duplicate") for w in webs) == 100
    assert all("notification.sent" in w.log() for w in webs)
