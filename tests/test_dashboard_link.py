"""Where the dashboard's links point, and the settings that decide it: PUBLIC_URL when given,
else the address Slack's request came to (what a newcomer's Request URL already says); bad
values stop start-up with a line naming the setting; `/case dashboard` is private and exact."""

from __future__ import annotations

import re

import pytest

from bot.app.settings import Settings, SettingsError
from handlers.views.dashboard_link import site_address

pytestmark = pytest.mark.backend_independent


def test_the_link_uses_public_url_when_set_and_else_the_address_slack_reached():
    headers = {"host": ["casekeeper.example.com"]}
    assert site_address(headers, "https://dash.example.com") == "https://dash.example.com"
    # Slack posts only to https:// Request URLs: plain HTTP here means TLS ended at a proxy.
    assert site_address(headers, None) == "https://casekeeper.example.com"
    assert site_address({"host": ["127.0.0.1:3000"]}, None) == "http://127.0.0.1:3000"
    proxied = {
        "host": ["10.0.0.5:3000"],
        "x-forwarded-host": ["bot.example.org"],
        "x-forwarded-proto": ["https"],
    }
    assert site_address(proxied, None) == "https://bot.example.org"
    assert site_address({}, None) is None


def test_public_url_and_dashboard_session_are_read_and_checked():
    settings = Settings.from_env({"PUBLIC_URL": "https://casekeeper.example.com/", "DASHBOARD_SESSION": "8h"})
    assert settings.public_url == "https://casekeeper.example.com"
    assert settings.dashboard_session.total_seconds() == 8 * 3600
    defaults = Settings.from_env({})
    assert defaults.public_url is None and defaults.dashboard_session.total_seconds() == 12 * 3600
    for name, value in (
        ("PUBLIC_URL", "casekeeper.example.com"),
        ("PUBLIC_URL", "https://x.example.com/?a=1"),
        ("DASHBOARD_SESSION", "2m"),
        ("DASHBOARD_SESSION", "forever"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({name: value})


def test_with_oauth_the_redirect_uri_says_where_the_server_is():
    settings = Settings.from_env(
        {
            "SLACK_CLIENT_ID": "1111.2222",
            "SLACK_CLIENT_SECRET": "s3cret",
            "SLACK_REDIRECT_URI": "https://cases.example.com/slack/oauth_redirect",
        }
    )
    assert settings.public_url == "https://cases.example.com"


@pytest.mark.parametrize("text", ["dashboard please", "dashboard CASE-1"])
def test_case_dashboard_takes_nothing_more(agent, text):
    result = agent.command(text)
    assert "takes nothing after it" in result.text and "/case dashboard" in result.text
    assert result.ephemeral


def test_the_link_is_for_the_asker_alone_and_is_listed_in_help(agent, bot):
    result = agent.command("dashboard")
    assert result.ephemeral
    assert re.search(rf"<{re.escape(bot.url)}/dashboard/sign-in\?token=[\w-]{{40,}}\|", result.text)
    assert "/case dashboard" in agent.command("help").text


def test_sign_in_links_are_let_go_a_day_after_they_expire(agent, bot, clock):
    from sqlalchemy import func, select

    from bot.app.worker import Worker
    from storage.web_sessions import SignInLink

    def links() -> int:
        with bot.db.transaction() as session:
            return int(session.execute(select(func.count()).select_from(SignInLink)).scalar_one())

    agent.command("dashboard")
    agent.command("dashboard")
    assert links() == 2
    clock.advance(minutes=11)
    # Expired, but kept a day: "already used" or "expired" beats "no such link" the next morning.
    assert "sign_ins" not in Worker(bot.services).purge().counts  # type: ignore[union-attr]
    clock.advance(days=1)
    assert Worker(bot.services).purge().counts["sign_ins"] == 2  # type: ignore[union-attr]
    assert links() == 0
