"""What Slack tells about the channels cases are in, as it happens: someone joined or left (so
who may read a private channel's cases is current between asks), a channel was made private."""

from __future__ import annotations

import logging

from bot import channels
from bot.flows.context import Context

log = logging.getLogger(__name__)


def member_joined(ctx: Context, *, team_id: str, channel_id: str, user_id: str) -> None:
    with ctx.unit() as unit:
        channels.member_joined(unit.session, team_id, channel_id, user_id)


def member_left(ctx: Context, *, team_id: str, channel_id: str, user_id: str) -> None:
    with ctx.unit() as unit:
        channels.member_left(unit.session, team_id, channel_id, user_id)


def made_private(ctx: Context, *, team_id: str, channel_id: str) -> None:
    with ctx.unit() as unit:
        marked = channels.became_private(unit.session, team_id, channel_id, unit.now)
    log.info("channel.made_private channel=%s cases=%s", channel_id, marked)
