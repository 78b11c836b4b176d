"""Bolt listeners: each parses what Slack sent, calls a flow (bot/flows/), renders the answer
(handlers/views/) and answers. No SQL and no domain rules here; no Block Kit built here either.
`register_all` is the only way in, called by the composition root (bot/app/build.py)."""

from __future__ import annotations

from slack_bolt import App

from handlers.listeners import (
    actions,
    case_submissions,
    commands,
    errors,
    promise_buttons,
    submissions,
    team,
    uninstall,
)
from handlers.services import Services

# Buttons and forms register themselves in the tables of actions.py and submissions.py when
# their modules are imported: these are imported for that alone.
_REGISTERED_BY_IMPORT = (promise_buttons, case_submissions)


def register_all(app: App, services: Services) -> None:
    """The listeners that must ack. Events are answered by the event lane's middleware
    (handlers/listeners/events.py), registered before these."""
    errors.register(app)
    commands.register(app, services)
    submissions.register(app, services)
    actions.register(app, services)
    team.register(app, services)
    uninstall.register(app, services)
