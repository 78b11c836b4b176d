"""What the dashboard asks of the domain (README → Dashboard): signing in and out, and the
pages' contents for the person signed in, within their scope.

Who sees what: the same rule as `/case report` (bot/reports.audience): an admin the whole
workspace, a manager the cases of everyone below them in the manager chain and their own, anyone
else their own. Narrower than `/case show` in Slack (where a case outside a private channel is
the whole team's): the dashboard is about how *my* team keeps its word, and what it shows in
bulk (every customer, every contact) is not for everyone. A private channel's case is only ever
in scope for its owner and those above them, who may read it in Slack too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import customers, reports, sign_in, team_stats, timeline
from bot.authz import Readable
from bot.customers import Found
from bot.errors import CaseError
from bot.flows.context import Context
from bot.sign_in import Opened, Viewer
from bot.team_stats import TeamStats
from bot.timeline import Timeline
from storage import queries


class NotInScope(CaseError):
    """The case exists but is not the viewer's to see here."""


class NoSuchCase(CaseError):
    pass


@dataclass(frozen=True)
class Scope:
    team_id: str
    viewer_id: str
    # None: everyone in the workspace (an admin).
    owners: frozenset[str] | None

    @property
    def everyone(self) -> bool:
        return self.owners is None


def new_link(ctx: Context, *, team_id: str, user_id: str) -> str:
    with ctx.unit() as unit:
        return sign_in.new_link(unit.session, team_id=team_id, user_id=user_id, now=unit.now)


def link_holder(ctx: Context, token: str) -> tuple[str, str]:
    with ctx.reading() as session:
        return sign_in.link_holder(session, token, ctx.clock.now())


def use_link(ctx: Context, token: str, *, lifetime: timedelta) -> Opened:
    with ctx.unit() as unit:
        return sign_in.use_link(unit.session, token, now=unit.now, lifetime=lifetime)


def signed_in_by_slack(ctx: Context, *, team_id: str, user_id: str, lifetime: timedelta) -> Opened:
    with ctx.unit() as unit:
        return sign_in.open_session(
            unit.session, team_id=team_id, user_id=user_id, via="slack", now=unit.now, lifetime=lifetime
        )


def viewer(ctx: Context, token: str) -> Viewer | None:
    with ctx.db.read_only() as session:
        return sign_in.viewer(session, token, ctx.clock.now())


def sign_out(ctx: Context, token: str) -> None:
    with ctx.unit() as unit:
        sign_in.sign_out(unit.session, token, unit.now)


def scope_of(ctx: Context, viewer: Viewer) -> Scope:
    admins = ctx.policy.admins.of(viewer.team_id)
    with ctx.db.read_only() as session:
        owners = reports.audience(session, viewer.team_id, viewer.user_id, admins)
    return Scope(viewer.team_id, viewer.user_id, owners)


def zone_of(ctx: Context, viewer: Viewer) -> ZoneInfo:
    """The viewer's own Slack time zone, which every time on their pages is shown in."""
    try:
        return ZoneInfo(ctx.directory.time_zone(viewer.team_id, viewer.user_id))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def team_page(ctx: Context, scope: Scope, zone: ZoneInfo) -> TeamStats:
    # Read-only transactions: a page's reads must not hold SQLite's one write lock, which the
    # acks Slack waits for need.
    return team_stats.build_at_once(
        ctx.db.read_only, team_id=scope.team_id, agents=scope.owners, now=ctx.clock.now(), tz=zone
    )


def case_page(ctx: Context, scope: Scope, case_id: int) -> Timeline:
    with ctx.db.read_only() as session:
        case = queries.case_by_id(session, scope.team_id, case_id)
        if case is None:
            raise NoSuchCase(f"There is no CASE-{case_id} in this workspace.")
        if scope.owners is not None and case.owner_id not in scope.owners:
            raise NotInScope(
                f"CASE-{case_id} isn't yours or your team's, so it isn't on your dashboard."
                " Its owner, their managers and admins can see it here."
            )
        return timeline.of(session, case, ctx.clock.now())


def search(ctx: Context, scope: Scope, text: str) -> Found:
    """As `/case find`, within the viewer's scope."""
    with ctx.db.read_only() as session:
        return customers.find(session, scope.team_id, text, Readable(everything=True), owners=scope.owners)
