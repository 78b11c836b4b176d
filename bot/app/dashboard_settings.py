"""The dashboard's settings: PUBLIC_URL (where browsers reach the web process) and
DASHBOARD_SESSION (how long a sign-in lasts), read apart from the rest like the OAuth ones."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from bot import durations
from bot.app.oauth_settings import SettingsError

MIN_SESSION = timedelta(minutes=5)
MAX_SESSION = timedelta(days=30)


def dashboard_settings(text: Callable[..., str | None], *, redirect_uri: str | None) -> dict[str, object]:
    return {"public_url": _public_url(text, redirect_uri), "dashboard_session": _session(text)}


def _public_url(text: Callable[..., str | None], redirect_uri: str | None) -> str | None:
    """PUBLIC_URL as given; unset, the origin of SLACK_REDIRECT_URI, which is the same server.
    None: the dashboard's links can't be made (`/case dashboard` says so)."""
    raw = text("PUBLIC_URL")
    if raw is None:
        if redirect_uri is None:
            return None
        parts = urlsplit(redirect_uri)
        return f"{parts.scheme}://{parts.netloc}"
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(
            f"PUBLIC_URL={raw!r} must be the address browsers reach this server at, like"
            " https://casekeeper.example.com (the Request URL's start, without /slack/events)"
        )
    if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)*/?", parts.path):
        raise SettingsError(f"PUBLIC_URL={raw!r}: its path may hold only letters, digits and . _ ~ -")
    return raw.rstrip("/")


def _session(text: Callable[..., str | None]) -> timedelta:
    raw = text("DASHBOARD_SESSION", "12h") or "12h"
    try:
        lifetime = durations.parse(raw)
    except ValueError:
        raise SettingsError(f"DASHBOARD_SESSION={raw!r} is not a duration; use {durations.FORMS}") from None
    if not MIN_SESSION <= lifetime <= MAX_SESSION:
        raise SettingsError(f"DASHBOARD_SESSION={raw!r} must be between 5m and 30d")
    return lifetime
