"""The composition root: build the services and the Bolt app from settings, the one place where
the domain, the flows and the Slack side meet. Nothing is built at import time."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.app import workspaces
from bot.app.settings import SLACK_DEFAULT_API_URL, Settings
from bot.clock import Clock
from bot.dashboard.site import Dashboard, SiteSettings
from bot.dashboard.slack_sign_in import SlackApp, SlackSignIn, authorize_url
from bot.delivery.dispatcher import Dispatcher
from bot.flows import dead_letters
from handlers.clients import SlackClients
from handlers.listeners import events, register_all
from handlers.listeners.event_lane import EVENT_CAPACITY, EVENT_THREADS, EventFeed, EventLane
from handlers.outbound import slack_errors
from handlers.outbound.catch_up import CatchingUpSender
from handlers.outbound.people import SlackDirectory
from handlers.pools import BoundedPool
from handlers.services import Services
from storage import installations
from storage.db import Database

# Bolt's listener threads run only listeners that must ack, and each acks at once and leaves
# its work to the after-ack pool (a form waits for its work at most FORM_DEADLINE). At most one
# listener per HTTP thread waits for its ack (bot/app/web.py HTTP_THREADS = 16): twice that
# many threads means a free one is always there.
LISTENER_THREADS = 32
# The work after acks: enough threads to wait on a slow Slack for several people at once; a
# queue that holds a burst of commands, beyond which people are told to try again.
AFTER_ACK_THREADS = 16
AFTER_ACK_CAPACITY = 200
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
    tokens = workspaces.token_source(
        settings, db, ask_slack=lambda token: interactive_client(settings, token).auth_test().data
    )
    clients = SlackClients(
        tokens,
        interactive=lambda token: interactive_client(settings, token),
        notification=lambda token: notification_client(settings, token),
    )
    policy = settings.policy
    directory = SlackDirectory(clients, db, clock)
    sender = CatchingUpSender(clients, db, clock, policy, directory)
    dispatcher = Dispatcher(
        db, clock, sender, poll=poll, lease=settings.claim_lease, catch_up_after=settings.catch_up_after
    )
    services = Services(
        db=db,
        clock=clock,
        policy=policy,
        dispatcher=dispatcher,
        directory=directory,
        clients=clients,
        public_url=dashboard_address(settings),
    )
    # A message Slack refused for good is told to the people it concerns (bot/dead_letters.py).
    dispatcher.on_dead = lambda claim, error: dead_letters.report_dead(
        services,
        claim,
        error,
        recipient_gone=slack_errors.recipient_gone(error),
        workspace_gone=slack_errors.workspace_gone(error),
    )
    return services


def build_event_feed(
    services: Services, *, threads: int = EVENT_THREADS, capacity: int = EVENT_CAPACITY
) -> EventFeed:
    """Where recorded events are handled: the worker's (handlers/listeners/event_lane.py).
    Becomes `services.events`; started by its owner, stopped with Services.stop_lanes."""
    feed = EventFeed(services, EventLane(services, threads=threads, capacity=capacity))
    services.events = feed
    return feed


def build_app(
    services: Services,
    settings: Settings,
    *,
    listener_executor: Executor | None = None,
    wake_events: Callable[[], None] = lambda: None,
) -> App:
    """The Bolt app, with the lanes its requests go through (DESIGN.md §7): Bolt's listener
    executor runs only listeners that must ack (commands, clicks, forms), each of which acks and
    leaves its work to the bounded after-ack pool (started here; the caller stops it:
    Services.stop_lanes). Events never reach it: middleware records them in the inbox, answers,
    and calls `wake_events` for the worker that handles them (build_event_feed)."""
    oauth: dict[str, Any] = {}
    # No token of its own: each request gets its workspace's from authorize, which never waits
    # on Slack (bot/app/workspaces.py).
    client = interactive_client(settings)
    if settings.oauth:
        # Several workspaces: /slack/install and /slack/oauth_redirect are Bolt's; oauth.v2.access
        # goes through `client`, so through SLACK_API_URL like every other call.
        oauth = {"oauth_settings": workspaces.oauth_settings(settings, services.db)}
    listeners = listener_executor or ThreadPoolExecutor(
        max_workers=LISTENER_THREADS, thread_name_prefix="listener"
    )
    services.after_ack = BoundedPool(
        "after-ack", threads=AFTER_ACK_THREADS, capacity=AFTER_ACK_CAPACITY
    ).start()
    app = App(
        signing_secret=settings.signing_secret or "socket-mode-has-no-signing-secret",
        client=client,
        authorize=workspaces.StoredAuthorize(services.clients.tokens),
        user_facing_authorize_error_message=workspaces.NOT_INSTALLED_MESSAGE,
        request_verification_enabled=not settings.socket_mode,
        # The events middleware sorts events itself (a bot's message is never a contact), and must
        # see one of the bot's own: its joining a channel, to post the cards waiting for it there.
        ignoring_self_events_enabled=False,
        listener_executor=listeners,
        **oauth,
    )
    events.register(app, services, wake_events)
    register_all(app, services)
    return app


def build_dashboard(services: Services, settings: Settings) -> Dashboard:
    """The dashboard's pages (bot/dashboard), served by the web process beside Slack's endpoint;
    Sign in with Slack besides the `/case dashboard` link when OAuth is set up."""
    slack_sign_in = None
    if settings.oauth:
        assert settings.client_id is not None and settings.client_secret is not None
        client_id = settings.client_id

        def installed(team_id: str) -> bool:
            with services.db.transaction() as session:
                return installations.latest_bot(session, client_id, team_id) is not None

        app = SlackApp(
            client_id=client_id,
            client_secret=settings.client_secret,
            authorize_url=authorize_url(settings.api_url, SLACK_DEFAULT_API_URL),
            client=interactive_client(settings),
            installed=installed,
        )
        slack_sign_in = SlackSignIn(services, app, settings.public_url)
    return Dashboard(
        services,
        SiteSettings(
            public_url=dashboard_address(settings),
            session_lifetime=settings.dashboard_session,
            slack_sign_in=slack_sign_in,
        ),
    )


def dashboard_address(settings: Settings) -> str | None:
    """Where browsers reach the dashboard: PUBLIC_URL; in Socket Mode without it, this machine
    (a try-out, README → Quick start); over HTTP without it, None: each `/case dashboard` link
    then uses the address Slack's request came to (handlers/views/dashboard_link.py)."""
    if settings.public_url:
        return settings.public_url
    if settings.socket_mode:
        return f"http://localhost:{settings.port}"
    return None
