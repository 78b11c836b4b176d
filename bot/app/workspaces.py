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

import copy
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from slack_bolt import BoltContext
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from bot.app.settings import Settings
from bot.app.token_keys import TokenCipher, TokenKeyError
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


@dataclass(frozen=True)
class BotIdentity:
    """Which bot speaks for a workspace: its token, and its own ids when known (Bolt uses them
    to ignore the bot's own events)."""

    token: str
    bot_id: str | None = None
    bot_user_id: str | None = None


class TokenSource:
    """The bot for one workspace, or None when the app is not installed there. Asked before
    every request's ack: never a Slack call."""

    def bot(self, team_id: str) -> BotIdentity | None:
        raise NotImplementedError

    def bot_token(self, team_id: str) -> str | None:
        bot = self.bot(team_id)
        return bot.token if bot is not None else None

    def forget(self, team_id: str) -> None:
        """The workspace removed the app: stop using what is known of it."""


class OneWorkspace(TokenSource):
    """SLACK_BOT_TOKEN. The bot's ids come from one auth.test, asked in the background the first
    time they are wanted: a request is never held up for it (they are None until then)."""

    def __init__(self, token: str | None, ask_slack: Callable[[str], dict[str, Any]]):
        self.token = token
        self._ask_slack = ask_slack
        self._identity: BotIdentity | None = None
        self._asked = threading.Event()

    def bot(self, team_id: str) -> BotIdentity | None:
        if self.token is None:
            return None
        if self._identity is not None:
            return self._identity
        if not self._asked.is_set():
            self._asked.set()
            threading.Thread(target=self._learn_identity, name="auth-test", daemon=True).start()
        return BotIdentity(self.token)

    def _learn_identity(self) -> None:
        assert self.token is not None
        try:
            answer = self._ask_slack(self.token)
            self._identity = BotIdentity(self.token, answer.get("bot_id"), answer.get("user_id"))
        except Exception:  # Slack away or the token refused: requests will say so themselves
            log.warning("workspace.auth_test_failed", exc_info=True)
            self._asked.clear()


class InstalledWorkspaces(TokenSource):
    """The latest installation's bot, read from the database and cached briefly."""

    def __init__(
        self,
        db: Database,
        client_id: str,
        *,
        cache_for: timedelta = TOKEN_CACHE_FOR,
        monotonic: Callable[[], float] = time.monotonic,
        cipher: TokenCipher | None = None,
    ):
        self.db = db
        self.client_id = client_id
        self.cipher = cipher or TokenCipher()
        self.cache_for = cache_for.total_seconds()
        self.monotonic = monotonic
        self._cache: dict[str, tuple[BotIdentity, float]] = {}
        self._lock = threading.Lock()

    def bot(self, team_id: str) -> BotIdentity | None:
        now = self.monotonic()
        with self._lock:
            cached = self._cache.get(team_id)
        if cached is not None and now - cached[1] < self.cache_for:
            return cached[0]
        with self.db.transaction() as session:
            found = installations.latest_bot(session, self.client_id, team_id)
        with self._lock:
            if found is None:
                # Not cached: a workspace installing right now must work at once.
                self._cache.pop(team_id, None)
                return None
            token, bot_id, bot_user_id = found
            identity = BotIdentity(self.cipher.open(token) or "", bot_id, bot_user_id)
            self._cache[team_id] = (identity, now)
        return identity

    def forget(self, team_id: str) -> None:
        # This process heard of the uninstall; the others stop within TOKEN_CACHE_FOR.
        with self._lock:
            self._cache.pop(team_id, None)


def token_source(settings: Settings, db: Database, ask_slack: Callable[[str], dict[str, Any]]) -> TokenSource:
    """`ask_slack(token)`: auth.test with that token, for the one workspace's bot ids."""
    if settings.oauth:
        assert settings.client_id is not None
        return InstalledWorkspaces(db, settings.client_id, cipher=TokenCipher(settings.token_keys))
    return OneWorkspace(settings.bot_token, ask_slack)


def oauth_settings(settings: Settings, db: Database) -> OAuthSettings:
    """Bolt's OAuth flow with slack_sdk's SQLAlchemy stores on our engine. Everything is passed
    explicitly: Bolt would otherwise read SLACK_REDIRECT_URI and friends from the environment
    behind our settings' back."""
    assert settings.client_id is not None and settings.client_secret is not None
    installation_store = SealedInstallationStore(
        TokenCipher(settings.token_keys), client_id=settings.client_id, engine=db.engine
    )
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


class SealedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store, writing each token sealed (bot/app/token_keys.py) and opening what it
    reads back, so the tables never hold a usable token when TOKEN_ENCRYPTION_KEYS is set."""

    TOKENS = ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token")

    def __init__(self, cipher: TokenCipher, **store: Any):
        super().__init__(**store)
        self.cipher = cipher

    def save(self, installation: Installation) -> None:
        # save() also saves installation.to_bot() through save_bot(), which must not seal twice:
        # seal() leaves a sealed value alone.
        super().save(self._each_token(copy.copy(installation), self.cipher.seal))

    def save_bot(self, bot: Bot) -> None:
        super().save_bot(self._each_token(copy.copy(bot), self.cipher.seal))

    def find_bot(self, **where: Any) -> Bot | None:
        bot = super().find_bot(**where)
        return self._each_token(bot, self.cipher.open) if bot is not None else None

    def find_installation(self, **where: Any) -> Installation | None:
        installation = super().find_installation(**where)
        return self._each_token(installation, self.cipher.open) if installation is not None else None

    def _each_token(self, record: Any, change: Callable[[str | None], str | None]) -> Any:
        for name in self.TOKENS:
            if hasattr(record, name):
                setattr(record, name, change(getattr(record, name)))
        return record


def check_token_keys(settings: Settings, db: Database) -> str | None:
    """At start, with OAuth: a problem with TOKEN_ENCRYPTION_KEYS and the stored tokens, in one
    line, or None. A warning without keys (tokens are stored as Slack gives them)."""
    if not settings.oauth:
        return None
    cipher = TokenCipher(settings.token_keys)
    if not cipher.sealing:
        log.warning(
            "oauth.tokens_not_encrypted: set TOKEN_ENCRYPTION_KEYS (`python -m bot keys new`) to"
            " keep the workspaces' tokens encrypted in the database"
        )
    with db.transaction() as session:
        stored = installations.any_sealed_token(session)
    try:
        cipher.open(stored)
    except TokenKeyError as error:
        return str(error)
    return None


class StoredAuthorize(Authorize):
    """Bolt's authorize step from our own token source. Bolt's built-in ones ask Slack (auth.test)
    on a workspace's first request, and every request waits for authorize before its ack: with
    Slack slow, that first command would get Bolt's 404."""

    def __init__(self, tokens: TokenSource):
        self.tokens = tokens

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        **_actor: Any,
    ) -> AuthorizeResult | None:
        bot = self.tokens.bot(team_id or "")
        if bot is None:
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=bot.token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
        )
