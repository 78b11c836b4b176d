"""A real headless Chromium for the dashboard's tests (Debian's chromium and chromium-driver,
which .ci/run installs), driven through WebDriver by Selenium. Without them the tests are
skipped, except where REQUIRE_BROWSER is set (CI): there a missing browser fails them."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# The machine's network is closed: without these, Chromium keeps trying Google's services.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,2000",
)


def start_browser(width: int = 1280) -> Any:
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        message = f"no browser: {CHROMIUM} and {CHROMEDRIVER} (Debian's chromium, chromium-driver)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="casekeeper-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(width, 2000)
    driver.profile_dir = profile
    return driver


def stop_browser(driver: Any) -> None:
    driver.quit()
    shutil.rmtree(driver.profile_dir, ignore_errors=True)


@pytest.fixture
def browser() -> Iterator[Any]:
    driver = start_browser()
    yield driver
    stop_browser(driver)


@pytest.fixture
def second_browser() -> Iterator[Any]:
    driver = start_browser()
    yield driver
    stop_browser(driver)


def page_text(driver: Any) -> str:
    return str(driver.find_element("tag name", "body").text)


def follow(driver: Any, element: Any, timeout: float = 10) -> None:
    """Click a link or a form's button and wait for the page it leads to: WebDriver's click
    returns before a navigation it starts has finished."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    old_page = driver.find_element("tag name", "html")
    element.click()
    WebDriverWait(driver, timeout).until(expected_conditions.staleness_of(old_page))
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
