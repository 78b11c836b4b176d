"""Several workspaces (OAuth): installing through Bolt's OAuth flow, and one deployment serving
two workspaces whose cases, messages and bot tokens never mix.

Everything crosses a real boundary: a browser's GETs to /slack/install and the redirect, Slack's
signed commands and events, and the stand-in's Web API (oauth.v2.access too) over HTTP."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import Message as Headers
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, update

from bot.app.settings import DEFAULT_BOT_SCOPES, DEFAULT_REDIRECT_URI_PATH, Settings, SettingsError
from bot.app.workspaces import NOT_INSTALLED_MESSAGE
from bot.clock import ManualClock
from slack_standin import FakeSlackAPI, SlackEventsClient
from storage.models import (
    SLACK_BOTS,
    SLACK_INSTALLATIONS,
    SLACK_OAUTH_STATES,
    Case,
    InboundEvent,
    Notification,
    NotificationState,
)
from tests.conftest import SIGNING_SECRET, Person, RunningBot, make_settings
from tests.processes import BotProcess, bot_env, free_port, migrate

REPO = Path(__file__).resolve().parents[1]
CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "test-client-secret-5f0c2a"
STATE_COOKIE = "slack-app-oauth-state"


@pytest.fixture
def oauth_bot(slack: FakeSlackAPI, database_url: str, clock: ManualClock) -> Iterator[RunningBot]:
    slack.oauth_app(CLIENT_ID, CLIENT_SECRET)
    settings = make_settings(
        slack, database_url, bot_token=None, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    running = RunningBot(settings, clock)
    yield running
    running.stop()


# ---- a browser, and Slack's side of an install ----------------------------------------------


@dataclass
class Page:
    status: int
    headers: Headers
    body: str

    def cookie(self, name: str) -> str | None:
        for header in self.headers.get_all("Set-Cookie") or []:
            key, _, rest = header.partition("=")
            if key.strip() == name:
                return rest.split(";", 1)[0]
        return None


class Browser:
    """One person's browser: plain GETs that keep the cookies the bot sets. (Bolt marks its state
    cookie Secure, which a real browser sends back over the https of a real deployment; here the
    bot listens on plain http, so the cookies are kept by hand.)"""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(self, path: str, **query: str) -> Page:
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(url)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            with self._opener.open(request, timeout=10) as response:
                page = Page(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            page = Page(error.code, error.headers, error.read().decode())
        state = page.cookie(STATE_COOKIE)
        if state == "deleted":  # Bolt's way of expiring it once the install is done
            self.cookies.pop(STATE_COOKIE, None)
        elif state is not None:
            self.cookies[STATE_COOKIE] = state
        return page


def authorize_url(page: Page) -> urllib.parse.SplitResult:
    """The "Add to Slack" link on the install page."""
    match = re.search(r'<a href="([^"]+)"', page.body)
    assert match, page.body
    return urllib.parse.urlsplit(html.unescape(match.group(1)))


def install(bot: RunningBot, slack: FakeSlackAPI, team_id: str, installer: str) -> str:
    """Someone in `team_id` opens the install page, approves in Slack, and is redirected back.
    The workspace's bot token."""
    browser = Browser(bot.url)
    link = authorize_url(browser.get("/slack/install"))
    query = urllib.parse.parse_qs(link.query)
    code = slack.approve_install(team_id, scopes=query["scope"][0], installer=installer)
    done = browser.get("/slack/oauth_redirect", code=code, state=query["state"][0])
    assert done.status == 200, done.body
    token = slack.token_of(team_id)
    assert token is not None
    return token


def person(bot: RunningBot, slack: FakeSlackAPI, team_id: str, user_id: str) -> Person:
    return Person(user_id, SlackEventsClient(bot.url, SIGNING_SECRET, team_id=team_id, api=slack), slack, bot)


def count(bot: RunningBot, statement) -> int:  # type: ignore[no-untyped-def]
    with bot.db.transaction() as session:
        return int(session.execute(statement).scalar_one())


# ---- installing ---------------------------------------------------------------------------------


def test_the_install_page_links_to_slacks_authorize_url_with_a_fresh_state(oauth_bot):
    browser = Browser(oauth_bot.url)
    page = browser.get("/slack/install")
    assert page.status == 200
    link = authorize_url(page)
    assert (link.scheme, link.netloc, link.path) == ("https", "slack.com", "/oauth/v2/authorize")
    query = urllib.parse.parse_qs(link.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == list(DEFAULT_BOT_SCOPES)
    state = query["state"][0]
    # The browser holds the same state, and the database knows it (any process may get the redirect).
    assert browser.cookies[STATE_COOKIE] == state
    assert count(oauth_bot, select(func.count()).where(SLACK_OAUTH_STATES.c.state == state)) == 1
    # A second visit gets a state of its own.
    again = urllib.parse.parse_qs(authorize_url(Browser(oauth_bot.url).get("/slack/install")).query)
    assert again["state"][0] != state


def test_the_redirect_trades_the_code_for_a_token_through_slack_api_url_and_stores_it(oauth_bot, slack):
    token = install(oauth_bot, slack, "T1", installer="UALEX")

    exchanged = slack.calls("oauth.v2.access")
    assert len(exchanged) == 1 and exchanged[0].error is None
    assert "client_secret" not in exchanged[0].params  # sent as HTTP Basic credentials
    # Bolt checks the new token at once, with that token.
    assert [c.token for c in slack.calls("auth.test")] == [token]

    with oauth_bot.db.transaction() as session:
        installation = session.execute(select(SLACK_INSTALLATIONS)).mappings().one()
        bot_row = session.execute(select(SLACK_BOTS)).mappings().one()
    assert installation["team_id"] == "T1" and installation["client_id"] == CLIENT_ID
    assert installation["bot_token"] == token and installation["user_id"] == "UALEX"
    assert installation["bot_scopes"].split(",") == list(DEFAULT_BOT_SCOPES)
    assert (bot_row["team_id"], bot_row["bot_token"], bot_row["bot_user_id"], bot_row["bot_id"]) == (
        "T1",
        token,
        "UBT1",
        "BBT1",
    )


def test_a_bad_expired_or_replayed_state_is_refused_and_nothing_is_installed(oauth_bot, slack):
    # A state the bot never issued, even with a matching cookie (a forged redirect).
    forged = Browser(oauth_bot.url)
    forged.cookies[STATE_COOKIE] = "made-up-state"
    code = slack.approve_install("T1", scopes="commands", installer="UALEX")
    assert forged.get("/slack/oauth_redirect", code=code, state="made-up-state").status == 401

    # A real state arriving in another browser than the one that started the install.
    started = Browser(oauth_bot.url)
    state = urllib.parse.parse_qs(authorize_url(started.get("/slack/install")).query)["state"][0]
    assert Browser(oauth_bot.url).get("/slack/oauth_redirect", code=code, state=state).status == 400

    # A state past its ten minutes (issued, then the person wandered off).
    with oauth_bot.db.transaction() as session:
        session.execute(
            update(SLACK_OAUTH_STATES)
            .where(SLACK_OAUTH_STATES.c.state == state)
            .values(expire_at=SLACK_OAUTH_STATES.c.expire_at - timedelta(minutes=11))
        )
    assert started.get("/slack/oauth_redirect", code=code, state=state).status == 401

    assert slack.calls("oauth.v2.access") == [], "no code is traded without a valid state"
    assert count(oauth_bot, select(func.count()).select_from(SLACK_INSTALLATIONS)) == 0

    # A state already used once: the redirect replayed, cookie and all.
    browser = Browser(oauth_bot.url)
    link = urllib.parse.parse_qs(authorize_url(browser.get("/slack/install")).query)
    code = slack.approve_install("T1", scopes=link["scope"][0], installer="UALEX")
    captured = dict(browser.cookies)
    assert browser.get("/slack/oauth_redirect", code=code, state=link["state"][0]).status == 200
    assert STATE_COOKIE not in browser.cookies
    replay = Browser(oauth_bot.url)
    replay.cookies.update(captured)
    assert replay.get("/slack/oauth_redirect", code=code, state=link["state"][0]).status == 401
    assert count(oauth_bot, select(func.count()).select_from(SLACK_INSTALLATIONS)) == 1


# ---- two workspaces, one deployment -------------------------------------------------------------


def test_two_workspaces_never_see_each_others_cases_and_each_is_written_to_with_its_own_token(
    oauth_bot, slack, clock
):
    slack.set_user("UALEX", name="alex", tz="America/New_York")
    slack.set_user("UBEA", name="bea", tz="Europe/Berlin")
    t1_token = install(oauth_bot, slack, "T1", installer="UALEX")
    t2_token = install(oauth_bot, slack, "T2", installer="UBEA")
    assert t1_token != t2_token
    alex = person(oauth_bot, slack, "T1", "UALEX")
    bea = person(oauth_bot, slack, "T2", "UBEA")

    acme = alex.open_case("Acme: refund not received", channel="CT1")
    globex = bea.open_case("Globex: widget broken", channel="CT2")
    # Case numbers come from one sequence across the deployment; each workspace sees only its own.
    assert (acme.ref, globex.ref) == ("CASE-1", "CASE-2")
    alex.reply(acme, "Called the customer, left a voicemail")
    alex.command(f"promise {acme.ref} in 30 minutes: email the tracking number", channel="CT1")
    bea.command(f"promise {globex.ref} in 45 minutes: send a replacement", channel="CT2")

    assert "Globex" not in alex.command("list", channel="CT1").text
    listed = bea.command("list", channel="CT2").text
    assert "CASE-2" in listed and "Acme" not in listed and "CASE-1" not in listed

    # Another workspace's case number finds nothing, whatever the command.
    for command in (
        f"show {acme.ref}",
        f"done {acme.ref}",
        f"close {acme.ref} not yours",
        f"promise {acme.ref} in 1 hour: meddle",
    ):
        shown = bea.command(command, channel="CT2").text
        assert "There is no CASE-1 in this workspace" in shown, (command, shown)
        assert "Acme" not in shown and "voicemail" not in shown and "tracking" not in shown
    assert "There is no CASE-2 in this workspace" in alex.command(f"show {globex.ref}", channel="CT1").text
    # A reply sent as T2 into T1's case thread (a shared channel) is not T1's contact.
    bea.reply(acme, "promise in 5 minutes: hijack")

    shown = alex.command(f"show {acme.ref}", channel="CT1").text
    assert "voicemail" in shown and "hijack" not in shown and "email the tracking number" in shown
    with oauth_bot.db.transaction() as session:
        teams = dict(session.execute(select(Case.id, Case.team_id)).all())
    assert teams == {1: "T1", 2: "T2"}

    # Reminders: T1's goes out with T1's token, T2's with T2's.
    clock.advance(minutes=31)  # both reminders are due (15 minutes before each due time)
    oauth_bot.tick()
    assert any("CASE-1" in m.all_text() for m in alex.dms())
    assert any("CASE-2" in m.all_text() for m in bea.dms())
    assert not any("CASE-2" in m.all_text() for m in alex.dms())
    assert not any("CASE-1" in m.all_text() for m in bea.dms())

    def tokens_used(channel: str) -> set[str | None]:
        return {c.token for c in slack.calls("chat.postMessage") if c.params.get("channel") == channel}

    assert tokens_used("UALEX") == {t1_token} and tokens_used("UBEA") == {t2_token}
    assert tokens_used("CT1") == {t1_token} and tokens_used("CT2") == {t2_token}  # the case cards
    # Every call the bot made carried one of the two workspaces' tokens, never a mix-up of users.
    for call in slack.calls():
        if call.method == "oauth.v2.access":
            continue
        assert call.token in (t1_token, t2_token), call
        if call.method == "users.info":
            assert slack.team_of(call) == {"UALEX": "T1", "UBEA": "T2"}[call.params["user"]]


def test_a_workspace_without_the_app_is_refused_cleanly_and_an_uninstall_stops_its_messages(
    oauth_bot, slack, clock
):
    install(oauth_bot, slack, "T1", installer="UALEX")
    install(oauth_bot, slack, "T2", installer="UBEA")
    alex = person(oauth_bot, slack, "T1", "UALEX")
    bea = person(oauth_bot, slack, "T2", "UBEA")

    # A workspace that never installed the app: a command gets an explanation, nothing else.
    stranger = person(oauth_bot, slack, "T3", "UCARL")
    refused = stranger.command("open Initech: printer on fire", channel="CT3")
    assert refused.http.status == 200
    assert NOT_INSTALLED_MESSAGE in refused.text
    reply = stranger.client.thread_reply("hello?", thread_ts="1700000000.000100", user="UCARL", channel="CT3")
    assert reply.status == 200  # answered, so Slack doesn't retry; and ignored
    assert count(oauth_bot, select(func.count()).select_from(Case).where(Case.team_id == "T3")) == 0
    recorded = select(func.count()).select_from(InboundEvent).where(InboundEvent.team_id == "T3")
    assert count(oauth_bot, recorded) == 0
    assert not [c for c in slack.calls() if c.method not in ("oauth.v2.access", "auth.test")]

    # T2 removes the app while a promise is open: Slack revokes the token and tells the bot.
    alex.open_case("Acme: refund", channel="CT1")
    globex = bea.open_case("Globex: widget broken", channel="CT2")
    bea.command(f"promise {globex.ref} in 30 minutes: send a replacement", channel="CT2")
    slack.uninstall("T2")
    uninstalled = bea.client.event({"type": "app_uninstalled"})
    assert uninstalled.status == 200
    oauth_bot.settle()
    with oauth_bot.db.transaction() as session:
        installed = set(session.execute(select(SLACK_BOTS.c.team_id)).scalars())
        installed |= set(session.execute(select(SLACK_INSTALLATIONS.c.team_id)).scalars())
    assert installed == {"T1"}, "T2's tokens are deleted"

    assert NOT_INSTALLED_MESSAGE in bea.command("list", channel="CT2").text
    clock.advance(minutes=16)
    oauth_bot.tick()
    assert not any("Reminder" in m.all_text() for m in bea.dms())
    with oauth_bot.db.transaction() as session:
        reminder = session.execute(
            select(Notification).where(Notification.team_id == "T2", Notification.kind == "reminder")
        ).scalar_one()
    assert reminder.state is NotificationState.DEAD
    # T1 is unaffected.
    assert "CASE-1" in alex.command("list", channel="CT1").text


# ---- settings and start-up ---------------------------------------------------------------------


def oauth_env(**extra: str) -> dict[str, str]:
    return {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET, **extra}


def test_oauth_needs_no_bot_token_and_defaults_to_bolts_paths_and_the_manifests_scopes():
    settings = Settings.from_env(oauth_env(SLACK_SIGNING_SECRET="s"))
    assert settings.oauth and settings.bot_token is None
    assert settings.missing_for_slack() == [] and settings.missing_for_slack(receives_requests=False) == []
    assert (settings.install_path, settings.redirect_uri_path) == ("/slack/install", "/slack/oauth_redirect")
    assert CLIENT_SECRET in settings.secrets()  # masked in every log line

    manifest = yaml.safe_load((REPO / "manifest.yml").read_text(encoding="utf-8"))
    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == DEFAULT_BOT_SCOPES == settings.scopes
    assert [urllib.parse.urlsplit(u).path for u in manifest["oauth_config"]["redirect_urls"]] == [
        DEFAULT_REDIRECT_URI_PATH
    ]

    chosen = Settings.from_env(
        oauth_env(
            SLACK_SCOPES="commands, chat:write",
            SLACK_INSTALL_PATH="/install",
            SLACK_REDIRECT_URI_PATH="/oauth/done",
            SLACK_REDIRECT_URI="https://bot.example.com/oauth/done",
        )
    )
    assert chosen.scopes == ("commands", "chat:write") and chosen.install_path == "/install"
    assert chosen.redirect_uri == "https://bot.example.com/oauth/done"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SLACK_CLIENT_ID": CLIENT_ID}, "SLACK_CLIENT_SECRET"),
        ({"SLACK_CLIENT_SECRET": CLIENT_SECRET}, "SLACK_CLIENT_ID"),
        (oauth_env(SLACK_CLIENT_ID="xoxb-not-an-id"), "SLACK_CLIENT_ID"),
        (oauth_env(SLACK_BOT_TOKEN="xoxb-1-2"), "SLACK_BOT_TOKEN"),
        (oauth_env(SLACK_APP_TOKEN="xapp-1-2"), "SLACK_APP_TOKEN"),
        (oauth_env(SLACK_SCOPES="chat:write;im:write"), "SLACK_SCOPES"),
        (oauth_env(SLACK_INSTALL_PATH="install"), "SLACK_INSTALL_PATH"),
        (oauth_env(SLACK_REDIRECT_URI_PATH="/slack/events"), "SLACK_REDIRECT_URI_PATH"),
        (oauth_env(SLACK_REDIRECT_URI="https://bot.example.com/elsewhere"), "SLACK_REDIRECT_URI"),
    ],
)
def test_a_bad_oauth_setting_is_one_line_naming_it(env, named):
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)
    message = str(raised.value)
    assert named in message and "\n" not in message


def test_python_m_bot_web_serves_the_install_page_with_only_oauth_credentials(tmp_path, database_url):
    slack = FakeSlackAPI().start()
    port = free_port()
    env = bot_env(
        **oauth_env(
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.base_url,
            DATABASE_URL=database_url,
            PORT=str(port),
        )
    )
    migrate(env, tmp_path)
    process = BotProcess("web", env, tmp_path)
    try:
        url = process.wait_healthy(port)
        link = authorize_url(Browser(url).get("/slack/install"))
        assert urllib.parse.parse_qs(link.query)["client_id"] == [CLIENT_ID]
        process.wait_for_log("oauth.enabled install_path=/slack/install")
        assert process.terminate() == 0
    finally:
        process.kill()
        slack.stop()
    assert CLIENT_SECRET not in process.log()


def test_without_any_slack_credentials_start_up_mentions_the_oauth_alternative(tmp_path):
    env = bot_env(DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    process = BotProcess("run", env, tmp_path)
    assert process.process.wait(30) == 2
    said = process.log()
    assert "SLACK_BOT_TOKEN" in said and "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET" in said
    process.kill()
