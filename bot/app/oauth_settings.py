"""The OAuth settings (several workspaces): SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_SCOPES and
the install and redirect paths, read and checked apart from the rest because they only make
sense together."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit


class SettingsError(Exception):
    """A setting is missing or malformed; str(e) is the one line shown to the operator."""


# OAuth (several workspaces): what an install asks for unless SLACK_SCOPES says otherwise.
# The bot scopes of manifest.yml (tests/test_oauth.py keeps the two equal).
DEFAULT_BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:join",
    "channels:history",
    "groups:history",
    "im:write",
    "im:history",
    "reactions:write",
    "users:read",
    # Who may read a private channel's case: conversations.info / conversations.members, and
    # member_joined_channel / member_left_channel (bot/channels.py).
    "channels:read",
    "groups:read",
)
# Bolt's own defaults for the two OAuth endpoints.
DEFAULT_INSTALL_PATH = "/slack/install"
DEFAULT_REDIRECT_URI_PATH = "/slack/oauth_redirect"


def oauth_settings(
    text: Callable[..., str | None], *, bot_token: str | None, app_token: str | None
) -> dict[str, object]:
    """SLACK_CLIENT_ID and SLACK_CLIENT_SECRET together switch on OAuth (several workspaces)."""
    client_id, client_secret = text("SLACK_CLIENT_ID"), text("SLACK_CLIENT_SECRET")
    if not client_id and not client_secret:
        return {}
    _check_credentials(client_id, client_secret, bot_token=bot_token, app_token=app_token)
    paths = _oauth_paths(text)
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "scopes": _scopes(text),
        "install_path": paths["SLACK_INSTALL_PATH"],
        "redirect_uri_path": paths["SLACK_REDIRECT_URI_PATH"],
        "redirect_uri": _redirect_uri(text, paths["SLACK_REDIRECT_URI_PATH"]),
    }


def _check_credentials(
    client_id: str | None, client_secret: str | None, *, bot_token: str | None, app_token: str | None
) -> None:
    if not client_secret:
        raise SettingsError(
            "SLACK_CLIENT_SECRET is missing: OAuth (several workspaces) needs it with SLACK_CLIENT_ID"
            " (api.slack.com/apps → your app → Basic Information → App Credentials)"
        )
    if not client_id:
        raise SettingsError(
            "SLACK_CLIENT_ID is missing: OAuth (several workspaces) needs it with SLACK_CLIENT_SECRET"
            " (api.slack.com/apps → your app → Basic Information → App Credentials)"
        )
    if not re.fullmatch(r"\d+\.\d+", client_id):
        raise SettingsError(
            f"SLACK_CLIENT_ID={client_id!r} is not a Slack client id (digits, a dot, digits:"
            " Basic Information → App Credentials → Client ID)"
        )
    if bot_token:
        raise SettingsError(
            "SLACK_BOT_TOKEN must be empty when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set:"
            " with OAuth each workspace's token comes from its installation"
        )
    if app_token:
        raise SettingsError(
            "SLACK_APP_TOKEN (Socket Mode) can't be combined with SLACK_CLIENT_ID (OAuth): installing"
            " into workspaces needs the HTTP endpoints; unset one of them"
        )


def _scopes(text: Callable[..., str | None]) -> tuple[str, ...]:
    raw_scopes = text("SLACK_SCOPES", ",".join(DEFAULT_BOT_SCOPES)) or ""
    scopes = tuple(scope for scope in re.split(r"[\s,]+", raw_scopes) if scope)
    wrong = [scope for scope in scopes if not re.fullmatch(r"[a-z][a-z_.]*(:[a-z_.]+)*", scope)]
    if wrong or not scopes:
        raise SettingsError(
            f"SLACK_SCOPES has {', '.join(wrong) or 'nothing'}: list Slack bot scopes separated by"
            " commas, like commands,chat:write"
        )
    return scopes


def _oauth_paths(text: Callable[..., str | None]) -> dict[str, str]:
    paths = {}
    for name, default in (
        ("SLACK_INSTALL_PATH", DEFAULT_INSTALL_PATH),
        ("SLACK_REDIRECT_URI_PATH", DEFAULT_REDIRECT_URI_PATH),
    ):
        path = text(name, default) or default
        if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", path) or path in ("/slack/events", "/healthz"):
            raise SettingsError(
                f"{name}={path!r} must be a URL path of its own starting with /, like {default}"
            )
        paths[name] = path
    if paths["SLACK_INSTALL_PATH"] == paths["SLACK_REDIRECT_URI_PATH"]:
        raise SettingsError("SLACK_INSTALL_PATH and SLACK_REDIRECT_URI_PATH must be different paths")
    return paths


def _redirect_uri(text: Callable[..., str | None], redirect_path: str) -> str | None:
    redirect_uri = text("SLACK_REDIRECT_URI")
    if redirect_uri:
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or parts.path != redirect_path:
            raise SettingsError(
                f"SLACK_REDIRECT_URI={redirect_uri!r} must be an https:// URL ending in"
                f" {redirect_path} (SLACK_REDIRECT_URI_PATH), as listed in the app's"
                " Redirect URLs"
            )
    return redirect_uri
