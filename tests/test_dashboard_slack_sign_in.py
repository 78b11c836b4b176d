"""Sign in with Slack: with OAuth set up, the dashboard's sign-in page offers it beside the
`/case dashboard` link; a real browser goes to Slack's authorize page and back, and is signed
in as the person Slack names, in a workspace that installed the app, and nobody else."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.browser import follow, page_text
from tests.test_oauth import install, oauth_bot  # noqa: F401  (the OAuth-set-up bot)


def test_sign_in_with_slack_opens_a_session_for_the_person_slack_names(oauth_bot, slack, browser):  # noqa: F811
    install(oauth_bot, slack, "T1", installer="UAGENT")
    slack.signed_in_as("T1", "UMGR")
    browser.get(f"{oauth_bot.url}/dashboard/team")
    assert "Sign in to see the dashboard" in page_text(browser)
    follow(browser, browser.find_element(By.LINK_TEXT, "Sign in with Slack"))
    assert browser.current_url == f"{oauth_bot.url}/dashboard/team", page_text(browser)
    assert "How the team keeps its word" in page_text(browser)
    assert "maria (you)" in browser.find_element(By.CSS_SELECTOR, ".who").text
    (exchange,) = slack.calls("openid.connect.token")
    assert exchange.error is None


def test_a_workspace_without_the_app_or_a_cancelled_sign_in_gets_no_session(oauth_bot, slack, browser):  # noqa: F811
    install(oauth_bot, slack, "T1", installer="UAGENT")
    slack.signed_in_as("T9", "UZED")
    browser.get(f"{oauth_bot.url}/dashboard/slack/start")
    assert "isn't installed in that workspace" in page_text(browser)
    assert browser.get_cookie("casekeeper_session") is None
    slack.signed_in_as(None)
    browser.get(f"{oauth_bot.url}/dashboard/slack/start")
    assert "didn't sign you in" in page_text(browser)
    assert browser.get_cookie("casekeeper_session") is None


def test_a_callback_for_a_sign_in_this_browser_did_not_start_is_refused(oauth_bot, slack, browser):  # noqa: F811
    install(oauth_bot, slack, "T1", installer="UAGENT")
    # A code someone else got from Slack, handed to this browser (a link in a message, say):
    # without the state this browser was given when it started, it signs nobody in.
    browser.get(f"{oauth_bot.url}/dashboard/slack/callback?code=oidc.theirs&state=theirs")
    assert "another browser" in page_text(browser)
    assert browser.get_cookie("casekeeper_session") is None
    assert slack.calls("openid.connect.token") == []
