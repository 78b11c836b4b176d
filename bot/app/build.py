"""The composition root: build the services and the Bolt app from settings, the one place where
the domain, the flows and the Slack side meet. Nothing is built at import time."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.app import workspaces
from bot.app.settings import Settings
from bot.clock import Clock
from bot.delivery.dispatcher import Dispatcher
from handlers.clients import SlackClients
from handlers.listeners import register_all
from handlers.outbound.catch_up import CatchingUpSender
from handlers.outbound.people import SlackDirectory
from handlers.services import Services
from storage.db import Database

# Listeners run here after ack(); sized so a slow Slack API (each listener waiting on a call)
# cannot starve the acks of new commands, which need a free thread to run at all.
LISTENER_THREADS = 32
SLACK_TIMEOUT_SECONDS = 10


def interactive_client(settings: Settings, token: str | None = None) -> WebClient:
    """For calls made while someone waits (users.info, views.open, responses): retry 429s and
    5xx briefly, on top of slack_sdk's default connection-error retry. With OAuth the app's
    own client has no token (Bolt gives each request its workspace's)."""
    client = WebClient(token=token, base_url=settings.api_url, timeout=SLACK_TIMEOUT_SECONDS)
    client.retry_handlers.extend(
        [RateLimitErrorRetryHandler(max_retry_count=1), ServerErrorRetryHandler(max_retry_count=2)]
    )
    return client


def notification_client(settings: Settings, token: str | None = None) -> WebClient:
    """For outbox messages: no automatic retries at all. The dispatcher reschedules and checks
    for an earlier delivery itself; an automatic re-post could duplicate a message."""
    return WebClient(token=token, base_url=settings.api_url, timeout=SLACK_TIMEOUT_SECONDS, retry_handlers=[])


def build_services(
    settings: Settings, db: Database, clock: Clock, *, poll: timedelta = timedelta(seconds=2)
) -> Services:
    """Everything the listeners, the flows and the worker share, wired once."""
    clients = SlackClients(
        workspaces.token_source(settings, db),
        interactive=lambda token: interactive_client(settings, token),
        notification=lambda token: notification_client(settings, token),
    )
    policy = settings.policy
    directory = SlackDirectory(clients, db, clock)
    sender = CatchingUpSender(clients, db, clock, policy, directory)
    dispatcher = Dispatcher(
        db, clock, sender, poll=poll, lease=settings.claim_lease, catch_up_after=settings.catch_up_after
    )
    return Services(
        db=db,
        clock=clock,
        policy=policy,
        dispatcher=dispatcher,
        directory=directory,
        clients=clients,
        oauth=settings.oauth,
    )


def build_app(
    services: Services,
    settings: Settings,
    *,
    listener_executor: Executor | None = None,
    after_ack_executor: Executor | None = None,
) -> App:
    """`after_ack_executor`: where listeners put their work after ack() (Services.run_after_ack);
    by default the listener executor itself."""
    oauth: dict[str, Any] = {}
    client = interactive_client(settings, settings.bot_token)
    if settings.oauth:
        # Several workspaces: /slack/install and /slack/oauth_redirect are Bolt's; oauth.v2.access
        # goes through `client`, so through SLACK_API_URL like every other call.
        oauth_settings = workspaces.oauth_settings(settings, services.db)
        oauth = {
            "oauth_settings": oauth_settings,
            "authorize": workspaces.authorize(oauth_settings, client),
            "user_facing_authorize_error_message": workspaces.NOT_INSTALLED_MESSAGE,
        }
    listeners = listener_executor or ThreadPoolExecutor(
        max_workers=LISTENER_THREADS, thread_name_prefix="listener"
    )
    services.after_ack = after_ack_executor or listeners
    app = App(
        # The token travels in `client` (Bolt takes it from there for authorization); with
        # OAuth the client has none and each request gets its workspace's.
        signing_secret=settings.signing_secret or "socket-mode-has-no-signing-secret",
        client=client,
        # auth.test at construction would make start-up depend on Slack being up; Bolt
        # still checks the token on the first request and caches the answer.
        token_verification_enabled=False,
        request_verification_enabled=not settings.socket_mode,
        listener_executor=listeners,
        **oauth,
    )
    register_all(app, services)
    return app
