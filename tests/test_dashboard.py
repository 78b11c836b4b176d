"""The web dashboard as a team lead uses it: `/case dashboard` in Slack gives a one-time link,
a real browser signs in with it and reads the team page, a case's whole timeline and a search;
a browser without a session, a used or expired link, and someone outside the team get nothing."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from tests.browser import follow, page_text

LINK = re.compile(r"<(https?://[^|>]+/dashboard/sign-in\?token=[A-Za-z0-9_-]+)\|")


def dashboard_link(person) -> str:
    result = person.command("dashboard")
    assert result.ephemeral, "the link signs in as them: only they may see it"
    found = LINK.search(result.text)
    assert found, result.text
    return found.group(1)


def sign_in(driver, link: str) -> None:
    driver.get(link)
    follow(driver, driver.find_element(By.ID, "sign-in"))


@pytest.fixture
def team_with_a_missed_promise(agent, manager, bot, clock):
    agent.names_manager("UMGR")
    case = agent.open_case("Acme Corp: refund not received")
    agent.reply(case, "Called Dana at Acme, the refund is with the bank")
    agent.command(f"promise {case.ref} in 30 minutes: call back with the bank's reference")
    clock.advance(minutes=31)
    bot.tick()
    bot.tick()
    return case


def test_a_manager_signs_in_with_the_link_and_reads_the_team_page(
    team_with_a_missed_promise, manager, browser, bot
):
    case = team_with_a_missed_promise
    sign_in(browser, dashboard_link(manager))
    assert browser.current_url.endswith("/dashboard/team"), page_text(browser)
    text = page_text(browser)
    assert "How the team keeps its word" in text
    # People by their Slack names, never bare ids; the viewer's own name at the top.
    assert "Maria" in text or "maria" in text
    assert "UAGENT" not in text
    overdue = browser.find_element(By.CSS_SELECTOR, "ul.promises").text
    assert case.ref in overdue and "call back with the bank's reference" in overdue
    # Every chart is drawn as SVG beside its table.
    assert len(browser.find_elements(By.CSS_SELECTOR, "figure.chart svg")) >= 4
    missed = browser.find_element(By.CSS_SELECTOR, "#promises-per-week").find_element(By.XPATH, "..").text
    assert "missed" in missed
    cookie = browser.get_cookie("casekeeper_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/dashboard"


def test_the_case_page_tells_the_whole_story_with_a_link_to_the_thread(
    team_with_a_missed_promise, manager, browser
):
    case = team_with_a_missed_promise
    sign_in(browser, dashboard_link(manager))
    follow(browser, browser.find_element(By.LINK_TEXT, case.ref))
    text = page_text(browser)
    assert "Called Dana at Acme, the refund is with the bank" in text
    assert "call back with the bank's reference" in text
    assert "escalated" in text and "missed" in text
    assert "Audit trail" in text
    thread = browser.find_element(By.PARTIAL_LINK_TEXT, "case thread in Slack").get_attribute("href")
    assert case.card_ts in thread and case.channel in thread


def test_search_finds_cases_by_customer_as_case_find_does(team_with_a_missed_promise, manager, browser):
    case = team_with_a_missed_promise
    sign_in(browser, dashboard_link(manager))
    follow(browser, browser.find_element(By.LINK_TEXT, "Search"))
    box = browser.find_element(By.ID, "q")
    box.send_keys("acme")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "form.search button"))
    hits = browser.find_element(By.CSS_SELECTOR, "ul.hits").text
    assert case.ref in hits and "Acme Corp" in hits


def test_each_table_downloads_as_csv_with_the_session(team_with_a_missed_promise, manager, browser, bot):
    sign_in(browser, dashboard_link(manager))
    session = browser.get_cookie("casekeeper_session")["value"]
    request = urllib.request.Request(
        f"{bot.url}/dashboard/team/promises-per-week.csv", headers={"Cookie": f"casekeeper_session={session}"}
    )
    with urllib.request.urlopen(request) as answer:
        assert answer.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in answer.headers["Content-Disposition"]
        rows = answer.read().decode().splitlines()
    assert rows[0].startswith("week,kept on time,kept late")
    assert sum(int(row.split(",")[4]) for row in rows[1:]) == 1  # the one missed promise


def test_a_browser_without_a_session_is_refused(team_with_a_missed_promise, second_browser, bot):
    case = team_with_a_missed_promise
    for path in ("/dashboard/team", f"/dashboard/cases/{case.case_id}", "/dashboard/search?q=acme"):
        second_browser.get(bot.url + path)
        text = page_text(second_browser)
        assert "Sign in to see the dashboard" in text and "/case dashboard" in text
        assert "Acme" not in text
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{bot.url}/dashboard/team/promises-per-week.csv")
    assert refused.value.code == 401


def test_an_agent_cannot_open_another_teams_case_by_its_url(team_with_a_missed_promise, other, browser, bot):
    case = team_with_a_missed_promise
    sign_in(browser, dashboard_link(other))
    browser.get(f"{bot.url}/dashboard/cases/{case.case_id}")
    text = page_text(browser)
    assert "Not on your dashboard" in text
    assert "Called Dana" not in text and "refund" not in text
    # Nor find it.
    browser.get(f"{bot.url}/dashboard/search?q=acme")
    assert case.ref not in page_text(browser)


def test_a_used_link_does_not_sign_in_again(team_with_a_missed_promise, manager, browser, second_browser):
    link = dashboard_link(manager)
    sign_in(browser, link)
    second_browser.get(link)
    text = page_text(second_browser)
    assert "used already" in text and "/case dashboard" in text
    assert second_browser.get_cookie("casekeeper_session") is None


def test_an_expired_link_does_not_sign_in(manager, browser, clock):
    link = dashboard_link(manager)
    browser.get(link)
    clock.advance(minutes=11)
    follow(browser, browser.find_element(By.ID, "sign-in"))
    assert "expired" in page_text(browser)
    assert browser.get_cookie("casekeeper_session") is None


def test_signing_out_ends_the_session(team_with_a_missed_promise, manager, browser, bot):
    sign_in(browser, dashboard_link(manager))
    session = browser.get_cookie("casekeeper_session")["value"]
    follow(browser, browser.find_element(By.XPATH, "//button[text()='Sign out']"))
    assert "signed out" in page_text(browser)
    # The old cookie, replayed, opens nothing.
    request = urllib.request.Request(
        f"{bot.url}/dashboard/team", headers={"Cookie": f"casekeeper_session={session}"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 401
