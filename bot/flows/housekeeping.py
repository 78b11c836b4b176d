"""Housekeeping the worker runs on a timer: what is kept only for a while is let go."""

from __future__ import annotations

from datetime import timedelta

from bot.flows.context import Context
from storage import interactions

# Longer than any request's repeat window (a form's view lives at most a day in Slack).
INTERACTIONS_KEPT = timedelta(days=1)


def forget_old_interactions(ctx: Context) -> int:
    with ctx.unit() as unit:
        return interactions.forget_before(unit.session, unit.now - INTERACTIONS_KEPT)
