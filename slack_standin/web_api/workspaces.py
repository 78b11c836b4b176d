"""Several workspaces: Slack's side of an OAuth install, and which workspace a call speaks for
(auth.test answers as it)."""

from __future__ import annotations

import uuid
from typing import Any

from slack_standin.records import Call
from slack_standin.web_api.http import Handler, basic_credentials, send_json
from slack_standin.web_api.state import Install, StandinState


class WorkspacesMixin(StandinState):
    """OAuth installs and auth.test, part of FakeSlackAPI."""

    # Slack's side of an install: someone in a workspace approves the app on Slack's authorize
    # page (`approve_install`, which gives the code Slack puts in the redirect), the app trades
    # the code for that workspace's bot token with oauth.v2.access, and every later call carries
    # that token (`Call.token`, `team_of`). A token the stand-in never issued still speaks for
    # `team_id`, as in the one-workspace tests.

    def _init_workspaces(self) -> None:
        self._oauth_credentials: tuple[str, str] | None = None
        self._codes: dict[str, Install] = {}
        self._installed_by_token: dict[str, Install] = {}
        self._revoked_tokens: set[str] = set()
        self._caller_token: str | None = None

    def oauth_app(self, client_id: str, client_secret: str) -> None:
        """The app's credentials, as oauth.v2.access checks them."""
        with self._lock:
            self._oauth_credentials = (client_id, client_secret)

    def approve_install(
        self, team_id: str, *, scopes: str, installer: str, team_name: str | None = None
    ) -> str:
        """Someone in `team_id` approved the app for `scopes`: the one-time code for the redirect."""
        with self._lock:
            self._counter += 1
            n = self._counter
            code = f"{n}.{uuid.uuid4().hex}"
            self._codes[code] = Install(
                team_id=team_id,
                team_name=team_name or f"Workspace {team_id}",
                scopes=scopes,
                installer=installer,
                token=f"xoxb-{team_id}-{n}-{uuid.uuid4().hex[:16]}",
                bot_user_id=f"UB{team_id}",
                bot_id=f"BB{team_id}",
            )
        return code

    def token_of(self, team_id: str) -> str | None:
        """The bot token issued to `team_id` by its latest install."""
        with self._lock:
            issued = [t for t, install in self._installed_by_token.items() if install.team_id == team_id]
        return issued[-1] if issued else None

    def team_of(self, call_or_token: Call | str | None) -> str | None:
        """Which workspace's bot made a call (or owns a token); None for a call without a token."""
        token = call_or_token.token if isinstance(call_or_token, Call) else call_or_token
        if not token:
            return None
        with self._lock:
            install = self._installed_by_token.get(token)
        return install.team_id if install is not None else self.team_id

    def uninstall(self, team_id: str) -> None:
        """The workspace removed the app: its tokens stop working (token_revoked)."""
        with self._lock:
            for token, install in self._installed_by_token.items():
                if install.team_id == team_id:
                    self._revoked_tokens.add(token)

    def _answer_oauth_v2_access(self, request: Handler, params: dict[str, Any], arrived: float) -> None:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        basic = basic_credentials(request.headers.get("Authorization"))
        if basic is not None:
            client_id, client_secret = basic
        recorded = {k: v for k, v in params.items() if k != "client_secret"}
        with self._lock:
            install = self._codes.pop(str(params.get("code") or ""), None)
            if self._oauth_credentials is None or client_id != self._oauth_credentials[0]:
                result: dict[str, Any] = {"ok": False, "error": "invalid_client_id"}
            elif client_secret != self._oauth_credentials[1]:
                result = {"ok": False, "error": "bad_client_secret"}
            elif install is None:
                result = {"ok": False, "error": "invalid_code"}
            else:
                self._installed_by_token[install.token] = install
                result = {
                    "ok": True,
                    "app_id": "A1",
                    "authed_user": {"id": install.installer},
                    "scope": install.scopes,
                    "token_type": "bot",
                    "access_token": install.token,
                    "bot_user_id": install.bot_user_id,
                    "team": {"id": install.team_id, "name": install.team_name},
                    "enterprise": None,
                    "is_enterprise_install": False,
                }
        self._record("oauth.v2.access", recorded, arrived, 200, result.get("error"))
        send_json(request, 200, result)

    def _m_api_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"args": params}

    def _m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        team = self._installed_by_token.get(self._caller_token or "")
        if team is not None:
            return {
                "url": f"https://{team.team_id.lower()}.slack.com/",
                "team": team.team_name,
                "user": "casekeeper",
                "team_id": team.team_id,
                "user_id": team.bot_user_id,
                "bot_id": team.bot_id,
                "is_enterprise_install": False,
            }
        return {
            "url": "https://casekeeper-test.slack.com/",
            "team": "Casekeeper Test",
            "user": "casekeeper",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }
