"""Housekeeping the worker runs on a timer: what is kept only for a while is let go (RETENTION,
UNINSTALL_GRACE; bot/retention.py says what each keeps).

The purge goes in small batches, each its own short transaction, with a pause between them
(`rest`), so it never holds SQLite's one write lock for long and the dispatcher, which needs
it to mark a message sent, never waits more than one batch."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.flows.context import Context
from storage import retention as stored
from storage import web_sessions

log = logging.getLogger(__name__)

# Rows a purge transaction touches at most (a few milliseconds of SQLite's write lock).
BATCH = 500
# A removed workspace's cases a transaction deletes, each with its contacts, promises, messages.
CASES_BATCH = 50
# Request keys are kept at least this long: a form can be submitted again while its view lives.
INTERACTIONS_KEPT = timedelta(days=1)
# Dashboard links and sessions are kept this long after they expired or ended: long enough to
# answer "that link was already used" rather than "no such link" the morning after.
SIGN_INS_KEPT = timedelta(days=1)


@dataclass
class Purged:
    """What one purge removed, by kind."""

    counts: dict[str, int] = field(default_factory=dict)
    # False when it stopped before the end (the worker is stopping); the next run goes on.
    finished: bool = True

    def add(self, what: str, rows: int) -> None:
        if rows:
            self.counts[what] = self.counts.get(what, 0) + rows

    def __str__(self) -> str:
        return " ".join(f"{what}={rows}" for what, rows in sorted(self.counts.items())) or "nothing"


def purge(ctx: Context, rest: Callable[[], bool] = lambda: True) -> Purged:
    """Let go of what is done with, batch by batch. `rest()` runs between batches (the worker's
    pause) and returns False to stop for now."""
    policy = ctx.policy.retention
    purged = Purged()
    try:
        now = ctx.clock.now()
        if policy.payloads is not None:
            # Request keys may hold a command's words: they go with the payloads.
            payloads_before = now - policy.payloads
            keys_before = now - max(policy.payloads, INTERACTIONS_KEPT)
            clear = lambda s: stored.clear_payloads(s, payloads_before, BATCH)  # noqa: E731
            _batches(ctx, purged, "payloads_cleared", rest, clear)
            _batches(
                ctx, purged, "interactions", rest, lambda s: stored.forget_interactions(s, keys_before, BATCH)
            )
        # slack_sdk issues and checks OAuth states by the wall clock, not by ours.
        wall = datetime.now(UTC)
        _batches(ctx, purged, "oauth_states", rest, lambda s: stored.delete_oauth_states(s, wall, BATCH))
        sign_ins_before = now - SIGN_INS_KEPT
        _batches(ctx, purged, "sign_ins", rest, lambda s: web_sessions.purge(s, sign_ins_before, BATCH))
        if policy.history is not None:
            before = now - policy.history
            _walk(ctx, purged, "events", rest, lambda s, a: stored.delete_events(s, before, a, BATCH))
            _walk(
                ctx,
                purged,
                "notifications",
                rest,
                lambda s, a: stored.delete_notifications(s, before, a, BATCH),
            )
        _removed_workspaces(ctx, purged, rest)
    except _Stopped:
        purged.finished = False
    return purged


def workspace_removed(ctx: Context, team_id: str) -> None:
    """The workspace removed the app: its data goes after the grace, unless it comes back."""
    with ctx.unit() as unit:
        delete_after = unit.now + ctx.policy.retention.uninstall_grace
        stored.schedule_deletion(unit.session, team_id, unit.now, delete_after)
        # Nobody reads a removed workspace's dashboard, even during the grace.
        web_sessions.end_sessions_of(unit.session, team_id, None, unit.now)
    log.warning("workspace.deletion_scheduled team_id=%s delete_after=%s", team_id, delete_after.isoformat())


def _removed_workspaces(ctx: Context, purged: Purged, rest: Callable[[], bool]) -> None:
    with ctx.reading() as session:
        pending = stored.pending_deletions(session)
    for team_id, delete_after in pending:
        with ctx.unit() as unit:
            if stored.installed(unit.session, team_id):
                # Installed again within the grace: nothing is deleted.
                stored.drop_deletion(unit.session, team_id)
                log.warning("workspace.deletion_cancelled team_id=%s reason=installed_again", team_id)
                continue
        if delete_after <= ctx.clock.now():
            _delete_workspace(ctx, purged, rest, team_id)


def _delete_workspace(ctx: Context, purged: Purged, rest: Callable[[], bool], team_id: str) -> None:
    _batches(ctx, purged, "workspace_rows", rest, lambda s: stored.delete_cases(s, team_id, CASES_BATCH))
    for model in stored.TEAM_TABLES:
        _batches(
            ctx,
            purged,
            "workspace_rows",
            rest,
            lambda s, model=model: stored.delete_team_rows(s, model, team_id, BATCH),  # type: ignore[misc]
        )
    with ctx.unit() as unit:
        web_sessions.delete_workspace(unit.session, team_id)
        stored.drop_deletion(unit.session, team_id)
    purged.add("workspaces", 1)
    log.warning("workspace.data_deleted team_id=%s", team_id)


class _Stopped(Exception):
    pass


def _batches(ctx: Context, purged: Purged, what: str, rest: Callable[[], bool], batch: Callable) -> None:  # type: ignore[type-arg]
    """Run `batch(session)` in transactions of its own until it changes nothing more."""
    while True:
        with ctx.unit() as unit:
            rows = batch(unit.session)
        purged.add(what, rows)
        if not rows:
            return
        if not rest():
            raise _Stopped


def _walk(ctx: Context, purged: Purged, what: str, rest: Callable[[], bool], batch: Callable) -> None:  # type: ignore[type-arg]
    """Run `batch(session, after_id)` along a table by id until it says there is no more."""
    after: int | None = 0
    while after is not None:
        with ctx.unit() as unit:
            rows, after = batch(unit.session, after)
        purged.add(what, rows)
        if after is not None and not rest():
            raise _Stopped
