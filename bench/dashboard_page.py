"""The whole team page as a browser gets it: `GET /dashboard/team` from `python -m bot run`
(the web process renders it) over HTTP with a signed-in session, on the 100k-case world of
bench/dashboard_world.py. The issue's goal is this page under 300 ms p95. Baseline in the same
run: `GET /healthz` on the same server (one database round trip: the floor of any request)."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.dashboard_world import SeededWorld
from bench.harness import SECRET, Row, Section, median, ms, percentile, slack_standin
from bench.harness import RunningBot as BotUnderTest
from slack_standin import SlackEventsClient

GOAL = 0.300  # seconds, p95
WARM_UP = 3


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def measure(section: Section, backend: str, url: str, world: SeededWorld, workdir: Path, runs: int) -> None:
    slack = slack_standin()
    for user in (world.admin_id, *world.manager_ids, *world.agent_ids):
        slack.set_user(user, name=user.lower(), tz="America/New_York")
    bot = BotUnderTest(workdir, slack, url, name=f"dashboard-{backend.lower()}", ADMIN_USERS=world.admin_id)
    try:
        for who, user in (
            ("admin", world.admin_id),
            (f"manager {world.manager_ids[0]}", world.manager_ids[0]),
        ):
            cookie = _signed_in(bot.url, slack, world.team_id, user)
            page = _times(lambda cookie=cookie: _get(bot.url + "/dashboard/team", cookie), runs)
            floor = _times(lambda: _get(bot.url + "/healthz", None), runs)
            p95, floor_p95 = percentile(page, 95), percentile(floor, 95)
            print(
                f"  dashboard page {backend} {who}: p50 {ms(median(page))} p95 {ms(p95)};"
                f" healthz {ms(floor_p95)}"
            )
            section.rows.append(
                Row(
                    case=f"{backend}, whole page over HTTP, {who}: p50 {ms(median(page))}",
                    value=f"p95 {ms(p95)}",
                    baseline=f"GET /healthz p95 {ms(floor_p95)}",
                    ratio=f"{p95 / floor_p95:.0f}×",
                    goal=f"p95 < {GOAL * 1000:.0f} ms",
                    met=p95 < GOAL,
                )
            )
    finally:
        bot.stop()
        slack.stop()


def _signed_in(base: str, slack, team_id: str, user: str) -> str:  # type: ignore[no-untyped-def]
    """The session cookie of a browser that followed the user's `/case dashboard` link."""
    before = len(slack.responses)
    SlackEventsClient(base, SECRET, team_id=team_id, api=slack).command("dashboard", user=user, channel="C1")
    answer = slack.wait_for(lambda: slack.responses[before:], timeout=30, what="the /case dashboard link")
    token = re.search(r"token=([\w-]+)", str(answer[-1].body)).group(1)  # type: ignore[union-attr]
    form = urllib.parse.urlencode({"token": token}).encode()
    try:
        urllib.request.build_opener(_NoRedirect).open(
            urllib.request.Request(f"{base}/dashboard/sign-in", data=form)
        )
    except urllib.error.HTTPError as answered:
        return re.match(r"(casekeeper_session=[^;]+)", answered.headers["Set-Cookie"]).group(1)  # type: ignore[union-attr]
    raise RuntimeError("signing in did not answer with a session")


def _get(url: str, cookie: str | None) -> None:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()


def _times(work, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    seconds = []
    for number in range(WARM_UP + runs):
        started = time.perf_counter()
        work()
        if number >= WARM_UP:
            seconds.append(time.perf_counter() - started)
    return seconds
