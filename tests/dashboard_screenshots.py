"""The README's pictures of the dashboard, taken the way a lead sees it: a seeded team of 12
weeks (tests/report_world.py) and one case told in full, served by the bot against the Slack
stand-in, signed in through `/case dashboard` in headless Chromium.

    .venv/bin/python -m tests.dashboard_screenshots docs/dashboard"""

from __future__ import annotations

import re
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from bot.clock import ManualClock
from slack_standin import FakeSlackAPI, SlackEventsClient
from tests import report_world
from tests.browser import follow, start_browser, stop_browser
from tests.conftest import SIGNING_SECRET, START, Person, RunningBot, make_settings

NAMES = {
    "UA1": "Alex Kim",
    "UA2": "Bea Santos",
    "UA3": "Chen Li",
    "UA4": "Dara Okafor",
    "UA5": "Eli Novak",
    "UA6": "Fran Weber",
    "UM1": "Maria Rossi",
    "UM2": "Noah Berg",
    "UDIR": "Priya Shah",
}


def main(folder: str) -> int:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    begin = START - timedelta(weeks=12)
    clock = ManualClock(begin)
    slack = FakeSlackAPI(team_id="T1", time_func=lambda: clock.now().timestamp()).start()
    for user_id, name in NAMES.items():
        slack.set_user(user_id, name=name, real_name=name, tz="Europe/Berlin")
    with tempfile.TemporaryDirectory() as workdir:
        settings = make_settings(slack, f"sqlite:///{workdir}/screens.sqlite3")
        bot = RunningBot(settings, clock)
        try:
            report_world.plan_and_seed(bot, clock, seed=20261204, start=begin, end=START, case_count=420)
            client = SlackEventsClient(bot.url, SIGNING_SECRET, api=slack)
            lead = Person("UM1", client, slack, bot)
            agent = Person("UA1", client, slack, bot)
            case = agent.open_case("Acme Corp: refund not received after return")
            agent.reply(case, "Called Dana at Acme: the refund is with the bank, reference pending")
            agent.reply(case, "note: bank says 3-5 working days for returns over 500 EUR")
            agent.command(f"promise {case.ref} in 2 hours: call Dana back with the bank's reference")
            clock.advance(hours=2, minutes=5)
            bot.tick()
            bot.tick()
            link = re.search(r"<(http[^|>]+)\|", lead.command("dashboard").text).group(1)  # type: ignore[union-attr]
            _shoot(out, bot.url, link, case.case_id)
        finally:
            bot.stop()
            slack.stop()
    return 0


def _shoot(out: Path, base: str, link: str, case_id: int) -> None:
    from selenium.webdriver.common.by import By

    driver = start_browser()
    try:
        driver.get(link)
        follow(driver, driver.find_element(By.ID, "sign-in"))
        for name, path, width in (
            ("team", "/dashboard/team", 1280),
            ("team-phone", "/dashboard/team", 390),
            ("case", f"/dashboard/cases/{case_id}", 1280),
            ("search", "/dashboard/search?q=acme", 1280),
        ):
            driver.set_window_size(width, 1000)
            driver.get(base + path)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            # The phone picture shows the first screens; the desktop ones the whole page.
            driver.set_window_size(width, min(int(height), 2200 if width < 600 else 6000))
            driver.save_screenshot(str(out / f"{name}.png"))
            print(out / f"{name}.png")
    finally:
        stop_browser(driver)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "docs/dashboard"))
