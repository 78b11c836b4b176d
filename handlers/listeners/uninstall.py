"""A workspace removing the app (`app_uninstalled`, `tokens_revoked`).

With OAuth, Bolt's token revocation listeners delete that workspace's stored installation and
tokens, so nothing is sent there any more. With one workspace there is nothing stored to delete,
but Slack still gets its 200: Bolt answers 404 to an event nobody listens to, and Slack retries it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from handlers.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    if services.oauth:
        app.enable_token_revocation_listeners()
        return

    @app.event("app_uninstalled")
    def on_app_uninstalled(body: dict[str, Any]) -> None:
        log.warning("workspace.uninstalled team_id=%s", body.get("team_id"))

    @app.event("tokens_revoked")
    def on_tokens_revoked(body: dict[str, Any]) -> None:
        log.warning("workspace.tokens_revoked team_id=%s", body.get("team_id"))
