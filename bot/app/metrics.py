"""What GET /metrics says, in Prometheus's text format (prometheus-client), one registry per
process: each process (web, worker) is its own scrape target.

- Counted here as they happen, so per process: each notification's outcome as the dispatcher
  records it (bot/delivery/recording.py), how late each sent one went out, Slack's failures,
  and how long each Slack request took to be answered (its ack), by kind, at the HTTP boundary.
- Read at each scrape from the database (storage/monitoring.py), so every process says the
  same: notifications waiting, overdue and dead by kind, events left unfinished in the inbox
  (what the re-drive has to do), open cases and promises.
- Read at each scrape from this process: whether sending is paused and why, the depth of the
  event lane's and the after-ack pool's queues, when the dispatcher's loop last finished a pass.

Nothing of this reaches the domain: the dispatcher tells Metrics.recorded() of each outcome."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from urllib.parse import parse_qs

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.process_collector import ProcessCollector

from bot.delivery.outcomes import Dead, Deferred, Outcome, Retry, Sent, Skipped
from handlers.listeners.event_lane import EventFeed
from handlers.pools import BoundedPool
from handlers.services import Services
from storage import monitoring
from storage.models import NotificationKind
from storage.outbox import Claim

log = logging.getLogger(__name__)

# The text format every Prometheus reads (generate_latest writes it; names here are plain ASCII).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
# How late a notification went out: from on time to an hour (a process down that long).
LATENESS_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
# Slack stops waiting for an ack after 3 seconds.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5)
PAUSE_REASONS = ("rate_limited", "slack_failing")
REQUEST_KINDS = {
    "block_actions": "action",
    "view_submission": "view_submission",
    "view_closed": "view_closed",
    "block_suggestion": "options",
    "shortcut": "shortcut",
    "message_action": "shortcut",
}


def outcome_name(outcome: Outcome) -> str:
    if isinstance(outcome, Sent):
        return "sent"
    if isinstance(outcome, Skipped):
        return "cancelled"
    if isinstance(outcome, Deferred):
        return "deferred"
    if isinstance(outcome, Retry):
        return "retried"
    assert isinstance(outcome, Dead)
    return "dead"


def request_kind(content_type: str, body: bytes) -> str:
    """What Slack posted, from the raw body: command, action, view_submission, event..."""
    try:
        if content_type.startswith("application/json"):
            kind = json.loads(body).get("type")
            return "event" if kind == "event_callback" else "other"
        form = parse_qs(body.decode("utf-8"))
        if "command" in form:
            return "command"
        if "payload" in form:
            return REQUEST_KINDS.get(json.loads(form["payload"][0]).get("type"), "other")
    except (ValueError, AttributeError, UnicodeDecodeError):
        pass
    return "other"


class Metrics:
    """This process's metrics, with a registry of their own (tests run several bots in one
    process; each must report its own)."""

    def __init__(self, services: Services):
        self.registry = CollectorRegistry(auto_describe=False)
        self.outcomes = Counter(
            "casekeeper_notification_outcomes",
            "Notification send attempts as recorded, by kind and outcome"
            " (sent, retried, deferred, cancelled, dead); this process's own",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.slack_failures = Counter(
            "casekeeper_slack_send_failures",
            "Sends Slack failed, by reason: rate_limited (429), slack_failing (5xx, unreachable,"
            " timing out), error (this message only); this process's own",
            ["reason"],
            registry=self.registry,
        )
        self.lateness = Histogram(
            "casekeeper_notification_lateness_seconds",
            "How long after its due time each notification was sent; this process's own",
            ["kind"],
            buckets=LATENESS_BUCKETS,
            registry=self.registry,
        )
        self.acks = Histogram(
            "casekeeper_slack_request_seconds",
            "How long a request from Slack took to be answered (its ack), by kind (command,"
            " action, view_submission, event, ...); this process's own",
            ["kind"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_Now(services))
        ProcessCollector(registry=self.registry)
        services.dispatcher.on_recorded(self.recorded)

    def recorded(self, claim: Claim, outcome: Outcome, now: datetime) -> None:
        self.outcomes.labels(claim.kind, outcome_name(outcome)).inc()
        if isinstance(outcome, Sent):
            self.lateness.labels(claim.kind).observe(max(0.0, (now - claim.run_at).total_seconds()))
        elif isinstance(outcome, Retry):
            reason = (
                "rate_limited" if outcome.rate_limited else "slack_failing" if outcome.outage else "error"
            )
            self.slack_failures.labels(reason).inc()

    def answered(self, kind: str, seconds: float) -> None:
        self.acks.labels(kind).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _Now:
    """The gauges read at scrape time: from the database, and from this process's state."""

    def __init__(self, services: Services):
        self.services = services

    def describe(self) -> list[Metric]:
        # Nothing up front: collect() reads the database, which registering must not.
        return []

    def collect(self) -> Iterator[Metric]:
        services = self.services
        yield from self._process(services)
        started, now = time.monotonic(), services.clock.now()
        try:
            with services.db.read_only() as session:
                backlog = monitoring.backlog(session, now)
        except Exception:
            log.warning("metrics.database_unreachable", exc_info=True)
            yield _gauge("casekeeper_database_up", "Whether the database answered this scrape", 0)
            return
        yield _gauge("casekeeper_database_up", "Whether the database answered this scrape", 1)
        yield _gauge(
            "casekeeper_metrics_query_seconds",
            "How long this scrape's database queries took",
            time.monotonic() - started,
        )
        yield from _outbox(backlog, now)
        yield from _work(backlog, now)

    def _process(self, services: Services) -> Iterator[Metric]:
        dispatcher = services.dispatcher
        paused = GaugeMetricFamily(
            "casekeeper_sending_paused",
            "1 while this process holds back all sending because Slack is failing, by reason",
            labels=["reason"],
        )
        why = dispatcher.paused_because()
        for reason in PAUSE_REASONS:
            paused.add_metric([reason], 1 if why == reason else 0)
        yield paused
        pools: list[BoundedPool] = [
            pool
            for pool in (services.after_ack, _event_pool(services))
            if isinstance(pool, BoundedPool)
        ]
        depth = GaugeMetricFamily(
            "casekeeper_queue_depth", "Work queued in this process and not yet started", labels=["queue"]
        )
        capacity = GaugeMetricFamily(
            "casekeeper_queue_capacity", "The most work each queue holds", labels=["queue"]
        )
        for pool in pools:
            depth.add_metric([pool.name], pool.depth)
            capacity.add_metric([pool.name], pool.capacity)
        yield depth
        yield capacity
        since = dispatcher.seconds_since_pass()
        if since is not None:
            yield _gauge(
                "casekeeper_dispatcher_last_pass_age_seconds",
                "Seconds since this process's dispatcher last finished a pass",
                since,
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _by_kind(name: str, documentation: str, values: dict[str, float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["kind"])
    for kind in NotificationKind:
        family.add_metric([kind.value], values.get(kind.value, 0))
    return family


def _outbox(backlog: monitoring.Backlog, now: datetime) -> Iterable[Metric]:
    waiting = backlog.waiting
    yield _by_kind(
        "casekeeper_notifications_pending",
        "Notifications not sent yet (due later, or due and waiting), by kind",
        {kind: w.pending for kind, w in waiting.items()},
    )
    yield _by_kind(
        "casekeeper_notifications_overdue",
        "Notifications due and not sent yet, by kind",
        {kind: w.overdue for kind, w in waiting.items()},
    )
    yield _by_kind(
        "casekeeper_notifications_overdue_seconds",
        "How long the most overdue notification of each kind has been due (0: none is)",
        {
            kind: (now - w.oldest_due).total_seconds()
            for kind, w in waiting.items()
            if w.oldest_due is not None
        },
    )
    yield _by_kind(
        "casekeeper_notifications_dead",
        "Notifications given up for good (Slack refused them), by kind",
        {kind: float(count) for kind, count in backlog.dead.items()},
    )


def _work(backlog: monitoring.Backlog, now: datetime) -> Iterable[Metric]:
    yield _gauge(
        "casekeeper_events_unfinished",
        "Events from Slack recorded in the inbox and not finished: the re-drive's backlog",
        backlog.unfinished_events,
    )
    oldest = backlog.oldest_unfinished_event
    yield _gauge(
        "casekeeper_events_unfinished_oldest_seconds",
        "How long the oldest unfinished event has waited (0: none waits)",
        (now - oldest).total_seconds() if oldest is not None else 0,
    )
    yield _gauge("casekeeper_cases_open", "Cases open", backlog.open_cases)
    yield _gauge(
        "casekeeper_promises_open",
        "Promises open (not kept, rescheduled or cancelled)",
        backlog.open_promises,
    )
    yield _gauge(
        "casekeeper_promises_open_past_due",
        "Open promises past their due time: missed, and not yet settled",
        backlog.open_promises_past_due,
    )


def _event_pool(services: Services) -> BoundedPool | None:
    """The event lane's pool, in a process that handles events (a worker)."""
    feed = services.events
    return feed.lane.pool if isinstance(feed, EventFeed) else None
