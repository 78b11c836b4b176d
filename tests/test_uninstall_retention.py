"""A workspace removing the app (OAuth): its tokens go at once, its data after UNINSTALL_GRACE
(another workspace's stays), and installing again within the grace keeps everything. Expired
OAuth states are purged too. Through HTTP: installs, signed commands and events, the worker's
purge; the clock moved on."""

from __future__ import annotations

import urllib.parse
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from bot.app.worker import Worker
from storage.models import (
    SLACK_BOTS,
    SLACK_INSTALLATIONS,
    SLACK_OAUTH_STATES,
    AuditEntry,
    Case,
    Contact,
    InboundEvent,
    Notification,
    Person,
    Promise,
    WorkspaceDeletion,
)
from tests import test_oauth
from tests.test_oauth import Browser, authorize_url, install, person

# The OAuth deployment of tests/test_oauth.py.
oauth_bot = test_oauth.oauth_bot


def count(bot: Any, table: Any, *where: Any) -> int:
    with bot.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def data_of(bot: Any, team_id: str) -> dict[str, int]:
    """How many rows of each kind the workspace has."""
    of_team = Case.team_id == team_id
    found = {
        "contacts": count(bot, Contact.__table__.join(Case.__table__), of_team),
        "promises": count(bot, Promise.__table__.join(Case.__table__), of_team),
    }
    for model in (Case, Notification, AuditEntry, InboundEvent, Person):
        found[model.__tablename__] = count(bot, model, model.team_id == team_id)
    return found


def tokens_of(bot: Any, team_id: str) -> int:
    return count(bot, SLACK_BOTS, SLACK_BOTS.c.team_id == team_id) + count(
        bot, SLACK_INSTALLATIONS, SLACK_INSTALLATIONS.c.team_id == team_id
    )


def two_busy_workspaces(bot: Any, slack: Any) -> tuple[Any, Any]:
    slack.set_user("UALEX", name="alex", tz="America/New_York")
    slack.set_user("UBEA", name="bea", tz="Europe/Berlin")
    install(bot, slack, "T1", installer="UALEX")
    install(bot, slack, "T2", installer="UBEA")
    alex = person(bot, slack, "T1", "UALEX")
    bea = person(bot, slack, "T2", "UBEA")
    for who, channel, text in ((alex, "CT1", "Acme: refund"), (bea, "CT2", "Globex: widget broken")):
        case = who.open_case(text, channel=channel)
        who.reply(case, "Called the customer back")
        who.command(f"promise {case.ref} in 30 minutes: send a replacement", channel=channel)
        who.command(f"promise {case.ref} tomorrow 3pm: call again", channel=channel)
    return alex, bea


def uninstall(bot: Any, slack: Any, who: Any, team_id: str) -> None:
    slack.uninstall(team_id)
    assert who.client.event({"type": "app_uninstalled"}).status == 200
    bot.settle()


def test_removing_the_app_deletes_its_tokens_at_once_and_its_data_after_the_grace(oauth_bot, slack, clock):
    alex, bea = two_busy_workspaces(oauth_bot, slack)
    t1 = data_of(oauth_bot, "T1")
    t2 = data_of(oauth_bot, "T2")
    assert all(t2.values()), t2

    uninstall(oauth_bot, slack, bea, "T2")

    assert tokens_of(oauth_bot, "T2") == 0 and tokens_of(oauth_bot, "T1") == 2
    worker = Worker(oauth_bot.services)
    # Within the grace (30 days) nothing of its data goes, however often the purge runs.
    clock.advance(days=29)
    worker.purge()
    assert data_of(oauth_bot, "T2") == t2

    clock.advance(days=2)
    purged = worker.purge()

    assert purged is not None and purged.counts["workspaces"] == 1
    assert set(data_of(oauth_bot, "T2").values()) == {0}
    assert count(oauth_bot, WorkspaceDeletion) == 0
    # The other workspace keeps everything (its messages were all sent within the history).
    assert data_of(oauth_bot, "T1") == t1
    assert "CASE-1" in alex.command("list", channel="CT1").text


def test_installing_again_within_the_grace_keeps_everything(oauth_bot, slack, clock):
    _alex, bea = two_busy_workspaces(oauth_bot, slack)
    t2 = data_of(oauth_bot, "T2")
    uninstall(oauth_bot, slack, bea, "T2")
    clock.advance(days=10)
    install(oauth_bot, slack, "T2", installer="UBEA")
    clock.advance(days=25)

    Worker(oauth_bot.services).purge()

    assert count(oauth_bot, WorkspaceDeletion) == 0
    assert data_of(oauth_bot, "T2")["cases"] == t2["cases"]
    assert "CASE-2" in bea.command("list", channel="CT2").text


def test_expired_oauth_states_are_purged_and_fresh_ones_kept(oauth_bot):
    def issued() -> str:
        return urllib.parse.parse_qs(authorize_url(Browser(oauth_bot.url).get("/slack/install")).query)[
            "state"
        ][0]

    abandoned, fresh = issued(), issued()
    # Someone opened the install page and wandered off: ten minutes on, the state is worth nothing.
    with oauth_bot.db.transaction() as session:
        session.execute(
            update(SLACK_OAUTH_STATES)
            .where(SLACK_OAUTH_STATES.c.state == abandoned)
            .values(expire_at=SLACK_OAUTH_STATES.c.expire_at - timedelta(minutes=11))
        )

    purged = Worker(oauth_bot.services).purge()

    assert purged is not None and purged.counts["oauth_states"] == 1
    with oauth_bot.db.transaction() as session:
        left = set(session.execute(select(SLACK_OAUTH_STATES.c.state)).scalars())
    assert left == {fresh}
