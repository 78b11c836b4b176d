"""What someone may read (bot/authz.py), found out: their role from the database, then the
members of the private channels that matter, asked of the Directory outside any transaction."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from bot import authz
from bot.authz import Readable
from bot.flows.context import Context, Directory
from storage.db import Database


def readable_by(ctx: Context, *, team_id: str, reader_id: str, channels: Iterable[str]) -> Readable:
    """What `reader_id` may read of the cases in these private `channels` (and of every case
    that isn't private)."""
    admins = ctx.policy.admins.of(team_id)
    return readable_with(
        ctx.db, admins, ctx.directory, team_id=team_id, reader_id=reader_id, channels=channels
    )


def readable_with(
    db: Database,
    admins: Collection[str],
    directory: Directory,
    *,
    team_id: str,
    reader_id: str,
    channels: Iterable[str],
) -> Readable:
    """The same, for a caller without a flow Context (the sender of outbox rows)."""
    with db.transaction() as session:
        plan = authz.plan_reading(session, team_id, reader_id, admins, channels)
    members = {channel: directory.channel_members(team_id, channel) for channel in plan.ask_about}
    return authz.readable(plan, members)
