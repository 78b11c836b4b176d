"""Each dashboard page: ask the domain (bot/flows/dashboard.py) within the viewer's scope, name
the people it mentions (Slack's names and pictures, cached), render."""

from __future__ import annotations

from collections.abc import Iterable
from zoneinfo import ZoneInfo

from bot.customers import MIN_TEXT
from bot.dashboard import team_view
from bot.dashboard.render import Looks, is_user_id, page
from bot.errors import CaseError
from bot.flows import dashboard
from bot.flows.context import Context
from bot.flows.dashboard import Scope

# Overdue and due-today promises listed on the team page itself; the CSV has more.
OPEN_PROMISES_SHOWN = 10


def _looks(ctx: Context, scope: Scope, zone: ZoneInfo, people: Iterable[str]) -> Looks:
    # Channel ids (an escalation's last level can be a channel) are not people.
    wanted = {scope.viewer_id, *(p for p in people if is_user_id(p))}
    return Looks(zone, ctx.clock.now(), ctx.directory.profiles(scope.team_id, wanted), scope.viewer_id)


def confirm_sign_in(ctx: Context, team_id: str, user_id: str, token: str) -> bytes:
    people = ctx.directory.profiles(team_id, {user_id})
    looks = Looks(ZoneInfo("UTC"), ctx.clock.now(), people, None)
    return page("sign_in.html", looks, user_id=user_id, token=token)


def _scope_words(scope: Scope, looks: Looks) -> str:
    if scope.everyone:
        return "everyone in the workspace (you're an admin)"
    others = len(scope.owners or ()) - 1
    if others <= 0:
        return "your own cases"
    return f"you and the {others} {'person' if others == 1 else 'people'} below you in the manager chain"


def team(ctx: Context, scope: Scope, zone: ZoneInfo) -> bytes:
    stats = dashboard.team_page(ctx, scope, zone)
    looks = _looks(ctx, scope, zone, team_view.people_in(stats))
    return page(
        "team.html",
        looks,
        nav="team",
        stats=stats,
        scope_words=_scope_words(scope, looks),
        sections=team_view.sections(stats, looks),
        agents=team_view.agent_lines(stats),
        shown=OPEN_PROMISES_SHOWN,
        zone=zone.key,
    )


def team_csv(ctx: Context, scope: Scope, zone: ZoneInfo, name: str) -> tuple[str, str] | None:
    stats = dashboard.team_page(ctx, scope, zone)
    looks = _looks(ctx, scope, zone, team_view.people_in(stats))
    table = team_view.tables(stats, looks).get(name)
    if table is None:
        return None
    label = "workspace" if scope.everyone else f"{looks.name(scope.viewer_id)} team"
    return table.filename(label, ctx.clock.now().astimezone(zone).date()), table.to_csv()


def case(ctx: Context, scope: Scope, zone: ZoneInfo, case_id: int) -> bytes:
    story = dashboard.case_page(ctx, scope, case_id)
    people = {story.case.owner_id}
    for moment in story.moments:
        people |= {p for p in (moment.actor_id, moment.about_id) if p}
    for entry in story.audit:
        people |= {entry.actor_id} if entry.actor_id else set()
        details = entry.detail.values() if isinstance(entry.detail, dict) else ()
        people |= {value for value in details if isinstance(value, str) and is_user_id(value)}
    looks = _looks(ctx, scope, zone, people)
    thread = _thread_link(story.case.team_id, story.case.channel_id, story.case.card_ts)
    return page("case.html", looks, nav="case", story=story, case=story.case, thread=thread, zone=zone.key)


def _thread_link(team_id: str, channel_id: str, card_ts: str | None) -> str | None:
    """The case thread in Slack: the app's deep link opens the message in the desktop or
    phone app, or in the browser."""
    if not card_ts:
        return None
    return f"https://slack.com/app_redirect?team={team_id}&channel={channel_id}&message_ts={card_ts}"


def search(ctx: Context, scope: Scope, zone: ZoneInfo, text: str) -> bytes:
    problem = None
    found = None
    if text.strip():
        try:
            found = dashboard.search(ctx, scope, text)
        except CaseError as error:
            # The domain words its messages for Slack: the usage in backticks reads fine as is.
            problem = str(error).replace("&lt;", "<").replace("&gt;", ">")
    owners = {hit.case.owner_id for hit in found.hits} if found else set()
    looks = _looks(ctx, scope, zone, owners)
    return page(
        "search.html",
        looks,
        nav="search",
        text=text,
        found=found,
        problem=problem,
        min_text=MIN_TEXT,
        scope_words=_scope_words(scope, looks),
        zone=zone.key,
    )
