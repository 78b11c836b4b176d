"""Background work: the dispatcher loop (outbox -> Slack), the events the web process recorded
(handlers/listeners/event_lane.py) and housekeeping jobs on APScheduler with its in-memory job
store only. Promises are never scheduler jobs: the database is the schedule, so several workers
can share it and a restart loses nothing."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bot.app import sharing
from bot.app.build import build_event_feed
from bot.flows import housekeeping, reports
from handlers.listeners.event_lane import EventFeed
from handlers.services import Services

log = logging.getLogger(__name__)

# Between two purge batches: the dispatcher and the event lane get the database in between.
PURGE_PAUSE_SECONDS = 0.05


class Worker:
    def __init__(self, services: Services):
        self.services = services
        # The events the web process recorded are handled here, so its acks never wait behind
        # them. A process that already handles them (the tests' in-process bot) keeps its own.
        existing = services.events
        self.events = existing if isinstance(existing, EventFeed) else build_event_feed(services)
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": JobExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            timezone="UTC",
        )
        self.scheduler.add_job(self.send_digests, "interval", seconds=60, id="send_digests")
        self.scheduler.add_job(self.purge, "interval", hours=1, id="purge")
        self._stopping = threading.Event()
        # A web started alone looks for this (bot/app/sharing.py); the first beat at once.
        self.scheduler.add_job(
            self.beat,
            "interval",
            seconds=sharing.BEAT_EVERY.total_seconds(),
            id="heartbeat",
            next_run_time=datetime.now(UTC),
        )

    def start(self) -> None:
        self.services.dispatcher.start()
        self.events.start()
        self.scheduler.start()
        log.info("worker.started")

    def stop(self, timeout: float = 10) -> None:
        # A housekeeping job in flight is idempotent and re-run by the next process: don't
        # wait for it; a purge stops after its current batch. The events being handled finish
        # in Services.stop_lanes.
        self._stopping.set()
        self.scheduler.shutdown(wait=False)
        self.services.dispatcher.stop(timeout)
        log.info("worker.stopped")

    def beat(self) -> None:
        try:
            sharing.beat(self.services.db, self.services.clock)
        except Exception:
            log.warning("worker.beat_failed", exc_info=True)

    def purge(self) -> housekeeping.Purged | None:
        """What RETENTION and UNINSTALL_GRACE let go, in small batches (bot/flows/housekeeping.py)."""
        try:
            purged = housekeeping.purge(
                self.services, rest=lambda: not self._stopping.wait(PURGE_PAUSE_SECONDS)
            )
        except Exception:
            # Tried again at the next run; nothing is half-deleted (each batch is one transaction).
            log.exception("retention.purge_failed")
            return None
        log.info("retention.purged %s finished=%s", purged, purged.finished)
        return purged

    def send_digests(self) -> int:
        """Managers' weekly digests that fell due go into the outbox, once each (unique key)."""
        try:
            return reports.enqueue_due_digests(self.services)
        except Exception:
            # Tried again next minute; a digest stays due for a day.
            log.exception("digest.enqueue_failed")
            return 0
