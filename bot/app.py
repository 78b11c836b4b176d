"""Wiring: build the services and the Bolt app from settings. Nothing is built at import time."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import timedelta

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.clock import Clock
from bot.dispatcher import Dispatcher
from bot.services import Services
from bot.settings import Settings
from storage.db import Database

# Listeners run here after ack(); sized so a slow Slack API (each listener waiting on a call)
# cannot starve the acks of new commands, which need a free thread to run at all.
LISTENER_THREADS = 32
SLACK_TIMEOUT_SECONDS = 10


def interactive_client(settings: Settings) -> WebClient:
    """For calls made while someone waits (users.info, views.open, responses): retry 429s and
    5xx briefly, on top of slack_sdk's default connection-error retry."""
    client = WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=SLACK_TIMEOUT_SECONDS)
    client.retry_handlers.extend(
        [RateLimitErrorRetryHandler(max_retry_count=1), ServerErrorRetryHandler(max_retry_count=2)]
    )
    return client


def notification_client(settings: Settings) -> WebClient:
    """For outbox messages: no automatic retries at all. The dispatcher reschedules and checks
    for an earlier delivery itself; an automatic re-post could duplicate a message."""
    return WebClient(
        token=settings.bot_token, base_url=settings.api_url, timeout=SLACK_TIMEOUT_SECONDS, retry_handlers=[]
    )


def build_services(
    settings: Settings, db: Database, clock: Clock, *, poll: timedelta = timedelta(seconds=2)
) -> Services:
    from handlers.deliver import SlackSender

    sender = SlackSender(notification_client(settings), db, clock)
    dispatcher = Dispatcher(db, clock, sender, poll=poll, lease=settings.claim_lease)
    return Services(
        settings=settings, db=db, clock=clock, client=interactive_client(settings), dispatcher=dispatcher
    )


def build_app(services: Services, *, listener_executor: Executor | None = None) -> App:
    from handlers import commands, errors, inbox, modals, threads

    settings = services.settings
    app = App(
        # The token travels in `client` (Bolt takes it from there for authorization).
        signing_secret=settings.signing_secret or "socket-mode-has-no-signing-secret",
        client=services.client,
        # auth.test at construction would make start-up depend on Slack being up; Bolt
        # still checks the token on the first request and caches the answer.
        token_verification_enabled=False,
        request_verification_enabled=not settings.socket_mode,
        listener_executor=listener_executor
        or ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
    )
    errors.register(app)
    inbox.register(app, services)
    commands.register(app, services)
    threads.register(app, services)
    modals.register(app, services)
    return app
