"""The dashboard's WSGI side: GET /dashboard/… pages, the sign-in link's confirmation, sign-out.
Served by the web process beside Slack's endpoint (bot/app/web.py routes /dashboard here).

Refusals are pages too: no session is 401 with how to sign in; a case outside the viewer's
scope is 403 saying whose it is to see; no such case is 404."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from importlib.resources import files
from typing import Any

from bot.dashboard import pages
from bot.dashboard.http import Request, Response, cleared_cookie, redirect, session_cookie
from bot.dashboard.render import page
from bot.flows import dashboard
from bot.flows.context import Context
from bot.sign_in import SignInError, Viewer

log = logging.getLogger(__name__)

PREFIX = "/dashboard"
_CASE = re.compile(r"/dashboard/cases/(?:CASE-)?(\d{1,12})", re.IGNORECASE)
_CSV = re.compile(r"/dashboard/team/([a-z0-9-]{1,60})\.csv")
STYLE = files("bot.dashboard").joinpath("static/style.css").read_bytes()


@dataclass(frozen=True)
class SiteSettings:
    public_url: str | None
    session_lifetime: timedelta
    # Sign in with Slack (OpenID Connect): only with OAuth set up (bot/dashboard/slack_sign_in.py).
    slack_sign_in: Any = None


class Dashboard:
    """A WSGI application for paths under /dashboard."""

    def __init__(self, ctx: Context, settings: SiteSettings):
        self.ctx = ctx
        self.settings = settings

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._route(request)
        except Exception:
            log.exception("dashboard.failed path=%s", request.path)
            response = self.message(
                "500 Internal Server Error", "Something went wrong", "Try again in a minute."
            )
        return response.send(start_response, request.method)

    def _route(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        if path == f"{PREFIX}/style.css":
            return Response("200 OK", STYLE, "text/css; charset=utf-8")
        if path == f"{PREFIX}/sign-in":
            return self._sign_in(request)
        if path == f"{PREFIX}/sign-out" and request.method == "POST":
            return self._sign_out(request)
        if self.settings.slack_sign_in is not None and path.startswith(f"{PREFIX}/slack/"):
            return self.settings.slack_sign_in.answer(request, self)
        if request.method not in ("GET", "HEAD"):
            return self.message("405 Method Not Allowed", "Read-only", "The dashboard only shows things.")
        viewer = self._viewer(request)
        if viewer is None:
            return self._signed_out_page(request, "401 Unauthorized")
        if path == PREFIX:
            return redirect(f"{PREFIX}/team")
        return self._page(request, path, viewer)

    def _page(self, request: Request, path: str, viewer: Viewer) -> Response:
        scope = dashboard.scope_of(self.ctx, viewer)
        zone = dashboard.zone_of(self.ctx, viewer)
        try:
            if path == f"{PREFIX}/team":
                return Response("200 OK", pages.team(self.ctx, scope, zone))
            if match := _CSV.fullmatch(path):
                found = pages.team_csv(self.ctx, scope, zone, match.group(1))
                if found is None:
                    return self.message("404 Not Found", "No such table", "The team page lists the tables.")
                filename, body = found
                disposition = ("Content-Disposition", f'attachment; filename="{filename}"')
                return Response("200 OK", body.encode("utf-8"), "text/csv; charset=utf-8", [disposition])
            if match := _CASE.fullmatch(path):
                return Response("200 OK", pages.case(self.ctx, scope, zone, int(match.group(1))))
            if path == f"{PREFIX}/search":
                return Response("200 OK", pages.search(self.ctx, scope, zone, request.query("q")))
        except dashboard.NotInScope as refusal:
            return self.message("403 Forbidden", "Not on your dashboard", str(refusal))
        except dashboard.NoSuchCase as missing:
            return self.message("404 Not Found", "No such case", str(missing))
        return self.message("404 Not Found", "No such page", "The team page is at /dashboard/team.")

    # ---- signing in and out ------------------------------------------------------------------

    def _viewer(self, request: Request) -> Viewer | None:
        token = request.cookie()
        return dashboard.viewer(self.ctx, token) if token else None

    def _sign_in(self, request: Request) -> Response:
        if request.method == "POST":
            if not request.same_origin_post(self.settings.public_url):
                return self.message(
                    "403 Forbidden", "Not signed in", "That form didn't come from this dashboard."
                )
            token = request.form().get("token", "")
            try:
                opened = dashboard.use_link(self.ctx, token, lifetime=self.settings.session_lifetime)
            except SignInError as error:
                return self.message("400 Bad Request", "Not signed in", str(error))
            log.info(
                "dashboard.signed_in team_id=%s user=%s via=link",
                opened.viewer.team_id,
                opened.viewer.user_id,
            )
            return self.opened(request, opened)
        token = request.query("token")
        try:
            team_id, user_id = dashboard.link_holder(self.ctx, token)
        except SignInError as error:
            return self.message("400 Bad Request", "Not signed in", str(error))
        body = pages.confirm_sign_in(self.ctx, team_id, user_id, token)
        return Response("200 OK", body)

    def opened(self, request: Request, opened: Any) -> Response:
        """The browser is signed in: its cookie, and on to the team page."""
        max_age = int(self.settings.session_lifetime.total_seconds())
        cookie = session_cookie(opened.token, max_age, secure=self.secure(request))
        return redirect(f"{PREFIX}/team", cookie)

    def _sign_out(self, request: Request) -> Response:
        token = request.cookie()
        if token:
            dashboard.sign_out(self.ctx, token)
        body = page(
            "message.html",
            None,
            title="Signed out",
            text="You're signed out of the dashboard in this browser.",
            sign_in=self._sign_in_options(),
        )
        return Response("200 OK", body, headers=[cleared_cookie(secure=self.secure(request))])

    def secure(self, request: Request) -> bool:
        """Browsers reach us over HTTPS: here, at a proxy that says so, or by PUBLIC_URL."""
        return request.secure or (self.settings.public_url or "").startswith("https://")

    def _sign_in_options(self) -> dict[str, Any]:
        return {"slack": self.settings.slack_sign_in is not None}

    def _signed_out_page(self, request: Request, status: str) -> Response:
        body = page(
            "message.html",
            None,
            title="Sign in to see the dashboard",
            text="Type /case dashboard in Slack: I'll send you a link that signs this browser in.",
            sign_in=self._sign_in_options(),
        )
        return Response(status, body)

    def message(self, status: str, title: str, text: str) -> Response:
        return Response(status, page("message.html", None, title=title, text=text, sign_in=None))
