"""Sign in with Slack (OpenID Connect), Slack's side: the authorize page, where the person
signed in to Slack in the browser approves (a test says who that is with `signed_in_as`), and
openid.connect.token, which trades the code for an ID token naming them."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from slack_standin.web_api.http import Handler, basic_credentials, send, send_json
from slack_standin.web_api.state import StandinState

AUTHORIZE_PATH = "/openid/connect/authorize"


@dataclass
class SignIn:
    team_id: str
    user_id: str
    nonce: str
    redirect_uri: str
    client_id: str


class SignInMixin(StandinState):
    """Sign in with Slack, part of FakeSlackAPI (the app's credentials: WorkspacesMixin.oauth_app)."""

    def _init_sign_in(self) -> None:
        self._browser_user: tuple[str, str] | None = None
        self._sign_in_codes: dict[str, SignIn] = {}

    def signed_in_as(self, team_id: str | None, user_id: str | None = None) -> None:
        """Who is signed in to Slack in the browser: the authorize page approves as them.
        None: the person cancels on Slack's page."""
        with self._lock:
            self._browser_user = (team_id, user_id) if team_id and user_id else None

    def _answer_authorize(self, request: Handler, query: str) -> None:
        params = {name: values[0] for name, values in parse_qs(query).items()}
        redirect_uri = params.get("redirect_uri", "")
        with self._lock:
            who = self._browser_user
            if who is None:
                answer = {"error": "access_denied", "state": params.get("state", "")}
            else:
                code = f"oidc.{uuid.uuid4().hex}"
                self._sign_in_codes[code] = SignIn(
                    who[0], who[1], params.get("nonce", ""), redirect_uri, params.get("client_id", "")
                )
                answer = {"code": code, "state": params.get("state", "")}
        send(request, 302, b"", "text/plain", {"Location": f"{redirect_uri}?{urlencode(answer)}"})

    def _answer_openid_token(self, request: Handler, params: dict[str, Any], arrived: float) -> None:
        client_id, client_secret = basic_credentials(request.headers.get("Authorization")) or (
            params.get("client_id"),
            params.get("client_secret"),
        )
        with self._lock:
            sign_in = self._sign_in_codes.pop(str(params.get("code") or ""), None)
            credentials = self._oauth_credentials
        if credentials is None or (client_id, client_secret) != credentials:
            result: dict[str, Any] = {"ok": False, "error": "invalid_client_id"}
        elif sign_in is None or sign_in.redirect_uri != params.get("redirect_uri"):
            result = {"ok": False, "error": "invalid_code"}
        else:
            user = self._users.get(sign_in.user_id)
            now = int(time.time())
            claims = {
                "iss": "https://slack.com",
                "sub": sign_in.user_id,
                "aud": sign_in.client_id,
                "exp": now + 3600,
                "iat": now,
                "auth_time": now,
                "nonce": sign_in.nonce,
                "https://slack.com/user_id": sign_in.user_id,
                "https://slack.com/team_id": sign_in.team_id,
                "name": user.real_name if user else sign_in.user_id,
            }
            result = {
                "ok": True,
                "access_token": f"xoxp-{uuid.uuid4().hex}",
                "token_type": "Bearer",
                "id_token": _jwt(claims),
            }
        self._record("openid.connect.token", {"code": params.get("code")}, arrived, 200, result.get("error"))
        send_json(request, 200, result)


def _jwt(claims: dict[str, Any]) -> str:
    """An unsigned-looking JWT (the app takes it from Slack over TLS and doesn't check the
    signature; a real one is RS256)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"
