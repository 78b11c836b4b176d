"""Background work: the dispatcher loop (outbox -> Slack) and housekeeping jobs on APScheduler
with its in-memory job store only. Promises are never scheduler jobs: the database is the
schedule, so several workers can share it and a restart loses nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from bot.app import sharing
from bot.flows import housekeeping, inbox, reports
from handlers.listeners import threads
from handlers.services import Services

log = logging.getLogger(__name__)

REDRIVE_AFTER = timedelta(seconds=60)


class Worker:
    def __init__(self, services: Services):
        self.services = services
        self.scheduler = BackgroundScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": JobExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            timezone="UTC",
        )
        self.scheduler.add_job(self.redrive_events, "interval", seconds=30, id="redrive_events")
        self.scheduler.add_job(self.send_digests, "interval", seconds=60, id="send_digests")
        self.scheduler.add_job(self.forget_interactions, "interval", hours=1, id="forget_interactions")
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
        self.scheduler.start()
        log.info("worker.started")

    def stop(self, timeout: float = 10) -> None:
        # A housekeeping job in flight (a re-drive) is idempotent and re-run by the next
        # process: don't wait for it.
        self.scheduler.shutdown(wait=False)
        self.services.dispatcher.stop(timeout)
        log.info("worker.stopped")

    def redrive_events(self) -> int:
        """Events recorded but never finished (the process died mid-way, or they were left in
        the inbox while the event lane was full) are handled again; returns how many it took up.
        Handling is idempotent (one contact per Slack message), so this is always safe. With an
        event lane in this process they go through it: nothing is handled twice at once here,
        and the lane's bound holds."""
        services = self.services
        taken = 0
        for event in inbox.unfinished(services, older_than=REDRIVE_AFTER):
            if services.events is not None:
                # False when the lane holds it already (it is on its way) or has no room.
                if services.events.offer(event.team_id, event.event_id, event.event):
                    log.warning("event.redrive team_id=%s event_id=%s", event.team_id, event.event_id)
                    taken += 1
                continue
            log.warning(
                "event.redrive team_id=%s event_id=%s attempts=%s",
                event.team_id,
                event.event_id,
                event.attempts,
            )
            taken += 1
            try:
                threads.apply(services, event.team_id, event.event_id, event.event)
            except Exception:
                log.exception("event.redrive_failed event_id=%s", event.event_id)
                if inbox.failed(services, team_id=event.team_id, event_id=event.event_id):
                    log.error("event.given_up team_id=%s event_id=%s", event.team_id, event.event_id)
        return taken

    def beat(self) -> None:
        try:
            sharing.beat(self.services.db, self.services.clock)
        except Exception:
            log.warning("worker.beat_failed", exc_info=True)

    def forget_interactions(self) -> int:
        try:
            return housekeeping.forget_old_interactions(self.services)
        except Exception:
            log.exception("interactions.forget_failed")
            return 0

    def send_digests(self) -> int:
        """Managers' weekly digests that fell due go into the outbox, once each (unique key)."""
        try:
            return reports.enqueue_due_digests(self.services)
        except Exception:
            # Tried again next minute; a digest stays due for a day.
            log.exception("digest.enqueue_failed")
            return 0
