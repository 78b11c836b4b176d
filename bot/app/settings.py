"""Settings, read once from the environment (or `.env`) into one frozen object.

A bad value stops start-up with one line that names the setting: operators read that line
in a deploy log, so it has to say what to fix, not where the code tripped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot import durations, retention, weekly, workhours
from bot.app import token_keys
from bot.app.dashboard_settings import dashboard_settings
from bot.app.oauth_settings import (
    DEFAULT_BOT_SCOPES,
    DEFAULT_INSTALL_PATH,
    DEFAULT_REDIRECT_URI_PATH,
    SettingsError,
    oauth_settings,
)
from bot.policy import Admins, Policy
from bot.retention import Retention
from bot.weekly import Weekly
from bot.workhours import WorkingHours
from storage.db import DEFAULT_MAX_OVERFLOW, DEFAULT_POOL_SIZE, prepare_threshold

DEFAULT_DATABASE_URL = "sqlite:///casekeeper.sqlite3"
SLACK_DEFAULT_API_URL = "https://slack.com/api/"

# The Slack client's timeout (bot/app/build.py) plus a margin.
MIN_CLAIM_LEASE = timedelta(seconds=15)
# Beside the web's PORT (3000), so `python -m bot` runs both on one box without a clash.
DEFAULT_WORKER_PORT = 3001
# Several of the dispatcher's 2-second polls.
MIN_DISPATCHER_STALL = timedelta(seconds=5)


@dataclass(frozen=True)
class Settings:
    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    api_url: str
    database_url: str
    port: int
    reminder_lead: timedelta
    escalation_grace: timedelta
    escalation_repeat: timedelta
    log_format: str = "text"
    # How long a worker holds a notification it is sending; a crashed worker's claims return
    # to the others after this. It must outlast one Slack call (10 s timeout).
    claim_lease: timedelta = timedelta(seconds=60)
    # Slack user ids who may change any case (close, mark done, hand over) in every workspace,
    # and (team id, user id) pairs for an admin of one workspace only: see bot/authz.py.
    admins: frozenset[str] = frozenset()
    workspace_admins: frozenset[tuple[str, str]] = frozenset()
    # The last level of every escalation chain; unset, the case's own channel (in its thread).
    escalation_channel: str | None = None
    # When escalations may reach people who haven't set their own (`/case hours`); None (the
    # default): no quiet hours, escalations go when due.
    working_hours: WorkingHours | None = None
    # When managers get their weekly digest on their own clock; None: no digests.
    digest_schedule: Weekly | None = field(default_factory=lambda: weekly.parse(weekly.DEFAULT))
    # Open cases older than this are listed in reports and digests as getting old.
    stale_case_age: timedelta = timedelta(days=7)
    # A notification this overdue (the bot or Slack was down) is gathered with the others
    # owed to the same person into one catch-up message instead of a burst.
    catch_up_after: timedelta = timedelta(minutes=10)
    # OAuth: with both set, workspaces install the app at install_path and the bot tokens live
    # in the database (bot/app/workspaces.py); SLACK_BOT_TOKEN is then not used.
    client_id: str | None = None
    client_secret: str | None = None
    scopes: tuple[str, ...] = DEFAULT_BOT_SCOPES
    install_path: str = DEFAULT_INSTALL_PATH
    redirect_uri_path: str = DEFAULT_REDIRECT_URI_PATH
    # The full redirect URL sent to Slack; unset, Slack uses the app's only one.
    redirect_uri: str | None = None
    # PostgreSQL connections per process: kept open, and more in a burst (sized in storage/db.py).
    db_pool_size: int = DEFAULT_POOL_SIZE
    db_max_overflow: int = DEFAULT_MAX_OVERFLOW
    # Where a process that doesn't serve PORT (the worker; Socket Mode) answers /metrics,
    # /healthz and /readyz; None: nowhere. A port already taken is logged, not fatal.
    worker_port: int | None = DEFAULT_WORKER_PORT
    # /readyz of a process running the dispatcher says 503 once its loop went this long
    # without finishing a pass (it passes every 2 s or sooner when well).
    dispatcher_stalled_after: timedelta = timedelta(seconds=30)
    # How long handled events, sent messages and payloads are kept, and a removed workspace's
    # data (RETENTION, UNINSTALL_GRACE; bot/retention.py).
    retention: Retention = Retention()
    # TOKEN_ENCRYPTION_KEYS: Fernet keys for the workspaces' tokens at rest, the first seals
    # (bot/app/token_keys.py); none: stored as Slack gives them (OAuth warns at start).
    token_keys: tuple[str, ...] = ()
    # Where browsers reach this server (the dashboard's links); None: no dashboard links.
    public_url: str | None = None
    # How long a dashboard sign-in lasts.
    dashboard_session: timedelta = timedelta(hours=12)

    def __repr__(self) -> str:
        """Every field, with the secrets masked: a Settings printed in a log or a traceback
        gives nothing away."""
        hidden = set(self.secrets())
        shown = []
        for name in self.__dataclass_fields__:
            value = repr(getattr(self, name))
            for secret in hidden:
                value = value.replace(secret, "***")
            shown.append(f"{name}={value}")
        return f"Settings({', '.join(shown)})"

    @property
    def policy(self) -> Policy:
        """The rules the domain applies, from these settings."""
        return Policy(
            reminder_lead=self.reminder_lead,
            escalation_grace=self.escalation_grace,
            escalation_repeat=self.escalation_repeat,
            escalation_channel=self.escalation_channel,
            admins=Admins(everywhere=self.admins, per_workspace=self.workspace_admins),
            working_hours=self.working_hours,
            digest_schedule=self.digest_schedule,
            stale_case_age=self.stale_case_age,
            retention=self.retention,
        )

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def oauth(self) -> bool:
        """Several workspaces: each installs the app through Slack's OAuth flow."""
        return bool(self.client_id and self.client_secret)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line."""
        from sqlalchemy.engine import make_url

        url = make_url(self.database_url)
        values = [
            self.bot_token,
            self.signing_secret,
            self.app_token,
            self.client_secret,
            url.password,
            url.query.get("password"),  # postgresql+psycopg://…/db?password=…
            *self.token_keys,
        ]
        return [str(v) for v in values if v and isinstance(v, str)]

    def missing_for_slack(self, *, receives_requests: bool = True) -> list[str]:
        """Names of the settings Slack needs that are not set, in the order to fix them.
        A worker only sends, so it needs no signing secret. With OAuth the bot tokens come from
        the installations in the database, so SLACK_BOT_TOKEN is not needed."""
        missing = []
        if not self.bot_token and not self.oauth:
            missing.append("SLACK_BOT_TOKEN")
        if receives_requests and not self.socket_mode and not self.signing_secret:
            missing.append("SLACK_SIGNING_SECRET")
        return missing

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        read = _Env(os.environ if env is None else env)
        bot_token, app_token = _tokens(read)
        admins, workspace_admins = _admins(read)
        return cls(
            bot_token=bot_token,
            signing_secret=read.text("SLACK_SIGNING_SECRET"),
            app_token=app_token,
            api_url=_api_url(read),
            database_url=_database_url(read),
            port=_port(read),
            reminder_lead=read.duration("REMINDER_LEAD", "15m"),
            escalation_grace=read.duration("ESCALATION_GRACE", "0s"),
            escalation_repeat=read.duration("ESCALATION_REPEAT", "30m"),
            log_format=_log_format(read),
            admins=admins,
            workspace_admins=workspace_admins,
            claim_lease=_claim_lease(read),
            escalation_channel=_escalation_channel(read),
            working_hours=_working_hours(read),
            digest_schedule=_digest_schedule(read),
            stale_case_age=_stale_case_age(read),
            catch_up_after=read.duration("CATCH_UP_AFTER", "10m"),
            worker_port=_worker_port(read),
            dispatcher_stalled_after=_dispatcher_stalled_after(read),
            retention=_retention(read),
            token_keys=_token_keys(read),
            db_pool_size=_count("DB_POOL_SIZE", read.given("DB_POOL_SIZE", str(DEFAULT_POOL_SIZE)), least=1),
            db_max_overflow=_count(
                "DB_MAX_OVERFLOW", read.given("DB_MAX_OVERFLOW", str(DEFAULT_MAX_OVERFLOW)), least=0
            ),
            **_oauth_and_dashboard(read, bot_token, app_token),
        )


def _oauth_and_dashboard(read: _Env, bot_token: str | None, app_token: str | None) -> dict[str, object]:
    oauth = oauth_settings(read.text, bot_token=bot_token, app_token=app_token)
    redirect_uri = oauth.get("redirect_uri")
    dashboard = dashboard_settings(
        read.text, redirect_uri=redirect_uri if isinstance(redirect_uri, str) else None
    )
    return oauth | dashboard


class _Env:
    """The environment as settings read it: an empty value is no value."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.env.get(name, "").strip()
        return value or default

    def given(self, name: str, default: str) -> str:
        return self.text(name, default) or default

    def duration(self, name: str, default: str) -> timedelta:
        raw = self.given(name, default)
        try:
            return durations.parse(raw)
        except ValueError:
            raise SettingsError(f"{name}={raw!r} is not a duration; use {durations.FORMS}") from None


def _port(read: _Env) -> int:
    raw_port = read.given("PORT", "3000")
    if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
        raise SettingsError(f"PORT={raw_port!r} is not a TCP port number (1-65535)")
    return int(raw_port)


def _worker_port(read: _Env) -> int | None:
    raw = read.given("WORKER_PORT", str(DEFAULT_WORKER_PORT))
    if raw.lower() == "off":
        return None
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"WORKER_PORT={raw!r} is not a TCP port number (1-65535), nor off")
    return int(raw)


def _dispatcher_stalled_after(read: _Env) -> timedelta:
    stalled_after = read.duration("DISPATCHER_STALLED_AFTER", "30s")
    if stalled_after < MIN_DISPATCHER_STALL:
        raise SettingsError(
            f"DISPATCHER_STALLED_AFTER must be at least {int(MIN_DISPATCHER_STALL.total_seconds())}s:"
            " a well dispatcher finishes a pass every 2 seconds, a little later when busy"
        )
    return stalled_after


def _tokens(read: _Env) -> tuple[str | None, str | None]:
    bot_token = read.text("SLACK_BOT_TOKEN")
    if bot_token and not bot_token.startswith("xoxb-"):
        raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
    app_token = read.text("SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
    return bot_token, app_token


def _api_url(read: _Env) -> str:
    api_url = read.given("SLACK_API_URL", SLACK_DEFAULT_API_URL)
    if not re.match(r"^https?://", api_url):
        raise SettingsError(f"SLACK_API_URL={api_url!r} must start with http:// or https://")
    # slack_sdk joins method names onto base_url as plain strings.
    return api_url if api_url.endswith("/") else api_url + "/"


def _database_url(read: _Env) -> str:
    database_url = read.given("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
        raise SettingsError("DATABASE_URL must be a sqlite:/// or postgresql+psycopg:// URL")
    if database_url.startswith(("postgresql://", "postgres://")):
        # Plain postgresql:// would pick psycopg2, which we do not install.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    try:
        prepare_threshold(database_url)
    except ValueError as error:
        raise SettingsError(f"DATABASE_URL: {error}") from None
    return database_url


def _count(name: str, raw: str, *, least: int) -> int:
    if not raw.isdigit() or not least <= int(raw) <= 1000:
        raise SettingsError(f"{name}={raw!r} must be a whole number, {least}-1000")
    return int(raw)


def _log_format(read: _Env) -> str:
    log_format = read.given("LOG_FORMAT", "text")
    if log_format not in ("text", "json"):
        raise SettingsError(f"LOG_FORMAT={log_format!r} must be text or json")
    return log_format


_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_TEAM_ID = re.compile(r"[TE][A-Z0-9]+")


def _admins(read: _Env) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """ADMIN_USERS: `U456` is an admin in every workspace, `T123:U456` in workspace T123 only."""
    everywhere: set[str] = set()
    per_workspace: set[tuple[str, str]] = set()
    wrong = []
    for entry in sorted(set(re.split(r"[\s,]+", read.given("ADMIN_USERS", ""))) - {""}):
        team, colon, user = entry.rpartition(":")
        if not colon and _USER_ID.fullmatch(user):
            everywhere.add(user)
        elif colon and _TEAM_ID.fullmatch(team) and _USER_ID.fullmatch(user):
            per_workspace.add((team, user))
        else:
            wrong.append(entry)
    if wrong:
        listed = ", ".join(f'"{entry}"' for entry in wrong)
        raise SettingsError(
            f"ADMIN_USERS has {listed}: write each admin as a Slack user id (U456: an admin in every"
            " workspace) or as a team id and a user id (T123:U456: an admin in that workspace only),"
            " separated by commas; a profile's ⋮ menu → Copy member ID gives the user id"
        )
    return frozenset(everywhere), frozenset(per_workspace)


def _claim_lease(read: _Env) -> timedelta:
    claim_lease = read.duration("CLAIM_LEASE", "60s")
    if claim_lease < MIN_CLAIM_LEASE:
        raise SettingsError(
            f"CLAIM_LEASE must be at least {int(MIN_CLAIM_LEASE.total_seconds())}s: a claim must"
            " outlast one Slack call, or a slow send could be taken over and sent twice"
        )
    return claim_lease


def _escalation_channel(read: _Env) -> str | None:
    escalation_channel = read.text("ESCALATION_CHANNEL")
    if escalation_channel and not re.fullmatch(r"[CG][A-Z0-9]{2,}", escalation_channel):
        raise SettingsError(
            f"ESCALATION_CHANNEL={escalation_channel!r} must be a channel id (C…); the channel's"
            " details → About shows it at the bottom"
        )
    return escalation_channel


def _working_hours(read: _Env) -> WorkingHours | None:
    """Quiet hours are opt-in (as in PagerDuty's support hours or Zendesk's business-hours
    SLAs): unset, an escalation goes when it is due, whatever the hour."""
    raw = read.text("WORKING_HOURS")
    if raw is None:
        return None
    try:
        return workhours.parse(raw)
    except workhours.WorkingHoursError as error:
        raise SettingsError(f"WORKING_HOURS: {error}") from None


def _digest_schedule(read: _Env) -> Weekly | None:
    try:
        return weekly.parse(read.given("DIGEST_SCHEDULE", weekly.DEFAULT))
    except weekly.WeeklyError as error:
        raise SettingsError(f"DIGEST_SCHEDULE: {error}") from None


def _stale_case_age(read: _Env) -> timedelta:
    raw_stale = read.given("STALE_CASE_DAYS", "7")
    if not raw_stale.isdigit() or not 1 <= int(raw_stale) <= 365:
        raise SettingsError(f"STALE_CASE_DAYS={raw_stale!r} must be a whole number of days, 1-365")
    return timedelta(days=int(raw_stale))


def _token_keys(read: _Env) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in (read.text("TOKEN_ENCRYPTION_KEYS") or "").split(",") if key.strip())
    for number, key in enumerate(keys, start=1):
        if not token_keys.check_key(key):
            raise SettingsError(
                f"TOKEN_ENCRYPTION_KEYS: key {number} of {len(keys)} is not a Fernet key (44 characters"
                " of URL-safe base64); make one with `python -m bot keys new`"
            )
    return keys


def _retention(read: _Env) -> Retention:
    raw = read.given("RETENTION", "history:90d,payloads:7d")
    try:
        history, payloads = retention.parse(raw)
    except retention.RetentionError as error:
        raise SettingsError(f"RETENTION={raw!r}: {error}; write it as {retention.FORM}") from None
    return Retention(history, payloads, read.duration("UNINSTALL_GRACE", "30d"))
