"""One workspace or several: which bot token speaks for which team.

One workspace: SLACK_BOT_TOKEN, for everything. Several (OAuth, SLACK_CLIENT_ID and
SLACK_CLIENT_SECRET): each workspace installs the app through Bolt's OAuth flow, and its
installation and bot token are kept by slack_sdk's SQLAlchemy stores in our own database
(tables made by our migration 0002), so every process of a deployment, web or worker, finds
them without anything else to run or back up. Requests from Slack get the right token from
Bolt's authorize step; work done outside a request (the dispatcher's notifications, a re-driven
event) asks handlers/outbound/clients.py's `SlackClients` for the team's client, which asks
the token source here."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.app.settings import Settings
from storage import installations
from storage.db import Database

log = logging.getLogger(__name__)

# How long a workspace's bot token is reused without reading it again. A reinstall (new token)
# or an uninstall shows within this; the dispatcher asks once per message it sends.
TOKEN_CACHE_FOR = timedelta(seconds=60)
# How long someone has between opening the install page and approving in Slack.
OAUTH_STATE_SECONDS = 600
NOT_INSTALLED_MESSAGE = (
    "casekeeper is not installed in this workspace any more, so nothing was done."
    " A workspace admin can add it again from the install page."
)


class TokenSource:
    """The bot token for one workspace, or None when the app is not installed there."""

    def bot_token(self, team_id: str) -> str | None:
        raise NotImplementedError


class OneWorkspace(TokenSource):
    def __init__(self, token: str | None):
        self.token = token

    def bot_token(self, team_id: str) -> str | None:
        return self.token


class InstalledWorkspaces(TokenSource):
    """The latest installation's bot token, read from the database and cached briefly."""

    def __init__(
        self,
        db: Database,
        client_id: str,
        *,
        cache_for: timedelta = TOKEN_CACHE_FOR,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.db = db
        self.client_id = client_id
        self.cache_for = cache_for.total_seconds()
        self.monotonic = monotonic
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def bot_token(self, team_id: str) -> str | None:
        now = self.monotonic()
        with self._lock:
            cached = self._cache.get(team_id)
        if cached is not None and now - cached[1] < self.cache_for:
            return cached[0]
        with self.db.transaction() as session:
            token = installations.latest_bot_token(session, self.client_id, team_id)
        with self._lock:
            if token is None:
                # Not cached: a workspace installing right now must work at once.
                self._cache.pop(team_id, None)
            else:
                self._cache[team_id] = (token, now)
        return token


def token_source(settings: Settings, db: Database) -> TokenSource:
    if settings.oauth:
        assert settings.client_id is not None
        return InstalledWorkspaces(db, settings.client_id)
    return OneWorkspace(settings.bot_token)


def oauth_settings(settings: Settings, db: Database) -> OAuthSettings:
    """Bolt's OAuth flow with slack_sdk's SQLAlchemy stores on our engine. Everything is passed
    explicitly: Bolt would otherwise read SLACK_REDIRECT_URI and friends from the environment
    behind our settings' back."""
    assert settings.client_id is not None and settings.client_secret is not None
    installation_store = SQLAlchemyInstallationStore(client_id=settings.client_id, engine=db.engine)
    return OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(settings.scopes),
        user_scopes=[],
        redirect_uri=settings.redirect_uri,
        install_path=settings.install_path,
        redirect_uri_path=settings.redirect_uri_path,
        installation_store=installation_store,
        # Only the bot token is ever used: one query per request instead of two or three.
        installation_store_bot_only=True,
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=OAUTH_STATE_SECONDS, engine=db.engine),
        state_expiration_seconds=OAUTH_STATE_SECONDS,
    )


def authorize(oauth: OAuthSettings, client: WebClient) -> InstallationStoreAuthorize:
    """Bolt's own authorize for installations, with its auth.test answer cached per token: by
    default every request from Slack would wait for an auth.test call before its ack."""
    return InstallationStoreAuthorize(
        logger=logging.getLogger("slack_bolt.authorize"),
        installation_store=oauth.installation_store,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
        bot_only=True,
        cache_enabled=True,
        client=client,
    )
