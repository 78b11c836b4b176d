"""Sign in with Slack (OpenID Connect), offered when OAuth is set up: the person approves on
Slack's own page, Slack sends the browser back with a code, and the code is traded for an ID
token saying who they are and in which workspace (openid.connect.token, with the app's
credentials). Only workspaces that installed the app are let in.

The ID token comes straight from Slack over TLS in answer to our own authenticated call, so its
signature needs no separate check (OpenID Connect Core 3.1.3.7); its audience, nonce and expiry
are checked all the same. The state and nonce live in a short-lived cookie of their own,
compared with what comes back, so a sign-in can't be started on one browser and finished on
another."""

from __future__ import annotations

import base64
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.dashboard.http import Request, Response, redirect, set_cookie
from bot.flows import dashboard
from bot.flows.context import Context

if TYPE_CHECKING:
    from bot.dashboard.site import Dashboard

log = logging.getLogger(__name__)

START = "/dashboard/slack/start"
CALLBACK = "/dashboard/slack/callback"
COOKIE = "casekeeper_oidc"
# Long enough to find the right workspace and approve; the cookie ends with it.
STATE_LIFETIME = 600
PATH = "/dashboard/slack"
SLACK_AUTHORIZE_URL = "https://slack.com/openid/connect/authorize"
TEAM_CLAIM = "https://slack.com/team_id"
USER_CLAIM = "https://slack.com/user_id"


class SignInRefused(Exception):
    """Why a sign-in with Slack didn't open a session; str(e) is shown."""


@dataclass(frozen=True)
class SlackApp:
    client_id: str
    client_secret: str
    authorize_url: str
    client: WebClient
    installed: Callable[[str], bool]


class SlackSignIn:
    def __init__(self, ctx: Context, app: SlackApp, public_url: str | None):
        self.ctx = ctx
        self.app = app
        self.public_url = public_url

    def answer(self, request: Request, site: Dashboard) -> Response:
        path = request.path.rstrip("/")
        if path == START and request.method in ("GET", "HEAD"):
            return self._start(request, site)
        if path == CALLBACK and request.method in ("GET", "HEAD"):
            try:
                return self._finish(request, site)
            except SignInRefused as refusal:
                return site.message("400 Bad Request", "Not signed in", str(refusal))
        return site.message("404 Not Found", "No such page", "The team page is at /dashboard/team.")

    def _redirect_uri(self, request: Request) -> str:
        return f"{self.public_url or request.origin()}{CALLBACK}"

    def _start(self, request: Request, site: Dashboard) -> Response:
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        query = urlencode(
            {
                "response_type": "code",
                "scope": "openid profile",
                "client_id": self.app.client_id,
                "state": state,
                "nonce": nonce,
                "redirect_uri": self._redirect_uri(request),
            }
        )
        cookie = set_cookie(
            COOKIE, f"{state}.{nonce}", path=PATH, max_age=STATE_LIFETIME, secure=site.secure(request)
        )
        return redirect(f"{self.app.authorize_url}?{query}", cookie)

    def _finish(self, request: Request, site: Dashboard) -> Response:
        if request.query("error"):
            raise SignInRefused(
                "Slack didn't sign you in (you may have cancelled)."
                " Try again, or type /case dashboard in Slack."
            )
        state, _, nonce = (request.cookie(COOKIE) or "").partition(".")
        if not state or not hmac.compare_digest(state, request.query("state")):
            raise SignInRefused(
                "This sign-in started in another browser or too long ago. Start again from the dashboard."
            )
        claims = self._claims(request, nonce)
        team_id, user_id = (
            str(claims.get(TEAM_CLAIM) or ""),
            str(claims.get(USER_CLAIM) or claims.get("sub") or ""),
        )
        if not team_id or not user_id:
            raise SignInRefused("Slack didn't say who you are. Try again.")
        if not self.app.installed(team_id):
            raise SignInRefused(
                "casekeeper isn't installed in that workspace: sign in to the workspace that uses it."
            )
        opened = dashboard.signed_in_by_slack(
            self.ctx, team_id=team_id, user_id=user_id, lifetime=site.settings.session_lifetime
        )
        log.info("dashboard.signed_in team_id=%s user=%s via=slack", team_id, user_id)
        response = site.opened(request, opened)
        response.headers.append(set_cookie(COOKIE, "", path=PATH, max_age=0, secure=site.secure(request)))
        return response

    def _claims(self, request: Request, nonce: str) -> dict[str, Any]:
        try:
            answer = self.app.client.openid_connect_token(
                client_id=self.app.client_id,
                client_secret=self.app.client_secret,
                code=request.query("code"),
                redirect_uri=self._redirect_uri(request),
            )
        except (SlackApiError, OSError) as error:
            log.warning("dashboard.slack_sign_in_failed error=%s", error)
            raise SignInRefused(
                "Slack didn't confirm the sign-in (the code may have been used). Try again."
            ) from None
        claims = id_token_claims(str(answer.get("id_token") or ""))
        if claims.get("aud") != self.app.client_id or not hmac.compare_digest(
            str(claims.get("nonce") or ""), nonce
        ):
            raise SignInRefused(
                "That sign-in wasn't meant for this dashboard. Start again from the dashboard."
            )
        if float(claims.get("exp") or 0) < time.time():
            raise SignInRefused("That sign-in took too long. Start again from the dashboard.")
        return claims


def id_token_claims(id_token: str) -> dict[str, Any]:
    """The claims of a JWT's payload (its middle part)."""
    parts = id_token.split(".")
    if len(parts) != 3:
        raise SignInRefused("Slack's answer wasn't an ID token. Try again.")
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        raise SignInRefused("Slack's answer wasn't an ID token. Try again.") from None
    if not isinstance(claims, dict):
        raise SignInRefused("Slack's answer wasn't an ID token. Try again.")
    return claims


def authorize_url(api_url: str, slack_default: str) -> str:
    """Slack's authorize page; beside the Web API when SLACK_API_URL points elsewhere (a stand-in)."""
    if api_url == slack_default:
        return SLACK_AUTHORIZE_URL
    scheme, _, rest = api_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/openid/connect/authorize"
