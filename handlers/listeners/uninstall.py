"""A workspace removing the app (`app_uninstalled`, `tokens_revoked`).

With OAuth, slack_sdk's revocation handlers delete that workspace's stored installation and
tokens, and the token cache forgets it, so nothing is accepted from or sent there any more. Its
data (cases, contacts, promises, messages, people) goes after UNINSTALL_GRACE, unless it installs
the app again meanwhile (bot/flows/housekeeping.py). With
one workspace there is nothing stored to delete, but Slack still gets its 200: Bolt answers 404
to an event nobody listens to, and Slack retries it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners

from bot.flows import housekeeping
from handlers.services import Services

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    revocation = TokenRevocationListeners(app.installation_store) if app.installation_store else None

    @app.event("app_uninstalled")
    def on_app_uninstalled(body: dict[str, Any], context: BoltContext) -> None:
        log.warning("workspace.uninstalled team_id=%s", body.get("team_id"))
        if revocation is not None:
            revocation.handle_app_uninstalled_events(context)
            services.clients.tokens.forget(context.team_id or "")
            if context.team_id:
                housekeeping.workspace_removed(services, context.team_id)

    @app.event("tokens_revoked")
    def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        log.warning("workspace.tokens_revoked team_id=%s", body.get("team_id"))
        if revocation is not None:
            revocation.handle_tokens_revoked_events(event, context)
            services.clients.tokens.forget(context.team_id or "")
