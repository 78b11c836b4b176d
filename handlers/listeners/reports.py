"""`/case report [7d|30d]`: the caller's report, ephemeral. Whose numbers they see is
bot/reports.audience: an admin the workspace, a manager their team and themselves, anyone
else their own."""

from __future__ import annotations

from bot import reports
from handlers.services import Services
from handlers.views import report as report_view
from handlers.views.blocks import Message


def show(services: Services, *, team_id: str, actor_id: str, period: str) -> Message:
    now = services.clock.now()
    with services.db.transaction() as session:
        agents = reports.audience(session, team_id, actor_id, services.settings.admins)
        report = reports.build(
            session,
            team_id=team_id,
            since=now - reports.PERIODS[period],
            until=now,
            now=now,
            stale_age=services.settings.stale_case_age,
            agents=agents,
        )
    return report_view.report_message(report, viewer=actor_id, title=f"Report, last {period[:-1]} days")
