"""The App Home tab: drawn when someone opens it (`app_home_opened`, handed over by the event lane
after its ack) and published with `views.publish`; the view is handlers/views/home.py.

Slack has its 200 already, so nothing here may raise: a failure is logged and the person simply
sees the previous home until they open it again."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.flows import reports, team
from handlers.services import Services
from handlers.views.home import home_view

log = logging.getLogger(__name__)


def publish_home(services: Services, team_id: str, user_id: str) -> bool:
    """Draw and publish the user's home. Never raises: True when Slack took the view."""
    try:
        # The time zone is cached for a day; when Slack can't answer, the last known one is used.
        snapshot = reports.home(services, team_id=team_id, user_id=user_id)
        roster = team.roster_for(services, team_id=team_id, viewer_id=user_id)
        view = home_view(snapshot, roster)
        services.client_for(team_id).views_publish(user_id=user_id, view=view)
    except SlackApiError as error:
        log.warning(
            "home.publish_failed team_id=%s user_id=%s error=%s",
            team_id,
            user_id,
            error.response.get("error"),
        )
        return False
    except Exception:  # the database or the network: the next home opening tries again
        log.error("home.publish_failed team_id=%s user_id=%s", team_id, user_id, exc_info=True)
        return False
    log.info("home.published team_id=%s user_id=%s blocks=%d", team_id, user_id, len(view.blocks or []))
    return True
