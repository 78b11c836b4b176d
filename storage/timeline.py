"""Reads for a case's whole timeline (bot/timeline.py): what was sent about it, and its audit
trail. The case's contacts and promises come with the case itself."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEntry, Notification, NotificationKind

# What was sent about a case that belongs on its timeline: messages to people, not redraws.
TOLD = (
    NotificationKind.REMINDER,
    NotificationKind.ESCALATION,
    NotificationKind.ESCALATION_WAITING,
    NotificationKind.HANDOVER,
    NotificationKind.DEAD_LETTER,
)


def notifications_of(session: Session, case_id: int) -> list[Notification]:
    return list(
        session.execute(
            select(Notification)
            .where(Notification.case_id == case_id, Notification.kind.in_(TOLD))
            .order_by(Notification.run_at, Notification.id)
        ).scalars()
    )


def audit_of(session: Session, case_id: int) -> list[AuditEntry]:
    return list(
        session.execute(
            select(AuditEntry).where(AuditEntry.case_id == case_id).order_by(AuditEntry.at, AuditEntry.id)
        ).scalars()
    )
