"""What an operator's Prometheus sees at GET /metrics, and what /readyz says, as people use the bot:
a promise made, reminded, escalated and failing for good; Slack failing; events piling up; each
kind of request timed to its ack. Scrapes go over HTTP and are read with prometheus_client's own
parser. The worker's own port is tests/test_worker_probes.py."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from handlers.ids import ActionId, BlockId, CallbackId
from slack_standin import SlackEventsClient
from tests.conftest import SIGNING_SECRET, RunningBot, link_manager, wait_until
from tests.processes import ROOT

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Scrape:
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float]

    def get(self, name: str, **labels: str) -> float:
        """A sample that must be there (a gauge)."""
        return self.samples[(name, tuple(sorted(labels.items())))]

    def count(self, name: str, **labels: str) -> float:
        """A counter's or histogram's sample: 0 until the first one is counted."""
        return self.samples.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(url: str) -> Scrape:
    with OPENER.open(url + "/metrics", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return Scrape(samples)


def get(url: str) -> tuple[int, str]:
    try:
        with OPENER.open(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_metrics_follow_a_promise_made_reminded_escalated_and_given_up(agent, slack, bot, clock):
    link_manager(bot, "UAGENT", "UMGR")
    case = agent.open_case("Acme: refund")
    opened = scrape(bot.url)
    assert opened.get("casekeeper_cases_open") == 1
    assert opened.get("casekeeper_promises_open") == 0
    assert opened.count("casekeeper_notification_outcomes_total", kind="case_card", outcome="sent") == 1

    agent.command(f"promise {case.ref} in 30 minutes: call back")
    made = scrape(bot.url)
    assert made.get("casekeeper_promises_open") == 1
    assert made.get("casekeeper_notifications_pending", kind="reminder") == 1
    # Level 1 the manager, then the case's channel.
    assert made.get("casekeeper_notifications_pending", kind="escalation") == 2
    assert made.get("casekeeper_notifications_overdue", kind="reminder") == 0

    clock.advance(minutes=16)  # the reminder fell due a minute ago; no worker has sent it yet
    due = scrape(bot.url)
    assert due.get("casekeeper_notifications_overdue", kind="reminder") == 1
    assert due.get("casekeeper_notifications_overdue_seconds", kind="reminder") == 60
    bot.tick()
    reminded = scrape(bot.url)
    assert reminded.count("casekeeper_notification_outcomes_total", kind="reminder", outcome="sent") == 1
    assert reminded.count("casekeeper_notification_lateness_seconds_count", kind="reminder") == 1
    assert reminded.count("casekeeper_notification_lateness_seconds_sum", kind="reminder") == 60
    lateness = "casekeeper_notification_lateness_seconds_bucket"
    assert reminded.count(lateness, kind="reminder", le="30.0") == 0
    assert reminded.count(lateness, kind="reminder", le="60.0") == 1
    assert reminded.get("casekeeper_notifications_pending", kind="reminder") == 0
    assert reminded.get("casekeeper_notifications_overdue", kind="reminder") == 0

    clock.advance(minutes=15)  # missed a minute ago: the manager hears of it
    bot.tick()
    escalated = scrape(bot.url)
    assert escalated.count("casekeeper_notification_outcomes_total", kind="escalation", outcome="sent") == 1
    assert escalated.get("casekeeper_notifications_pending", kind="escalation") == 1
    assert escalated.get("casekeeper_promises_open_past_due") == 1
    assert escalated.get("casekeeper_notifications_dead", kind="escalation") == 0

    # Nobody acknowledges; the bot has been removed from the case's channel meanwhile.
    slack.fail("chat.postMessage", status=200, error="not_in_channel", only={"channel": "C1"})
    clock.advance(minutes=30)
    bot.tick()
    given_up = scrape(bot.url)
    assert given_up.get("casekeeper_notifications_dead", kind="escalation") == 1
    assert given_up.count("casekeeper_notification_outcomes_total", kind="escalation", outcome="dead") == 1
    assert given_up.get("casekeeper_notifications_pending", kind="escalation") == 0

    agent.command(f"done {case.ref}")
    kept = scrape(bot.url)
    assert kept.get("casekeeper_promises_open") == 0
    assert kept.get("casekeeper_promises_open_past_due") == 0


@pytest.mark.parametrize(
    ("status", "reason"), [(500, "slack_failing"), (429, "rate_limited")], ids=["outage", "rate-limit"]
)
def test_metrics_say_sending_is_paused_and_why_while_slack_fails(status, reason, agent, slack, bot, clock):
    case = agent.open_case("Acme: refund")
    agent.command(f"promise {case.ref} in 30 minutes: call back")
    assert scrape(bot.url).get("casekeeper_sending_paused", reason=reason) == 0
    slack.fail("chat.postMessage", status=status, retry_after=30, times=1)
    clock.advance(minutes=15)
    bot.tick()
    held = scrape(bot.url)
    assert held.get("casekeeper_sending_paused", reason=reason) == 1
    other = {"slack_failing", "rate_limited"} - {reason}
    assert held.get("casekeeper_sending_paused", reason=other.pop()) == 0
    assert held.count("casekeeper_slack_send_failures_total", reason=reason) == 1
    assert held.count("casekeeper_notification_outcomes_total", kind="reminder", outcome="retried") == 1
    assert held.get("casekeeper_notifications_overdue", kind="reminder") == 1

    clock.advance(seconds=30)
    bot.tick()
    sent = scrape(bot.url)
    assert sent.get("casekeeper_sending_paused", reason=reason) == 0
    assert sent.count("casekeeper_notification_outcomes_total", kind="reminder", outcome="sent") == 1
    assert sent.get("casekeeper_notifications_overdue", kind="reminder") == 0


def test_each_kind_of_request_from_slack_is_timed_to_its_ack(agent, slack, bot):
    acks = "casekeeper_slack_request_seconds_count"
    before = scrape(bot.url)
    case = agent.open_case("Acme: refund")
    agent.reply(case, "Customer rang: still waiting")
    agent.click(slack.message(case.channel, case.card_ts), ActionId.CARD_LOG_CONTACT.value)
    agent.submit(
        agent.modal(CallbackId.LOG_CONTACT.value),
        {BlockId.CONTACT.value: "Emailed the receipt", BlockId.VIA.value: "email"},
    )
    after = scrape(bot.url)
    timed = {
        kind: after.count(acks, kind=kind) - before.count(acks, kind=kind)
        for kind in ("command", "event", "action", "view_submission")
    }
    assert timed == {"command": 1, "event": 1, "action": 1, "view_submission": 1}
    slowest = after.count("casekeeper_slack_request_seconds_bucket", kind="command", le="3.0")
    assert slowest == 1, "the command was answered within Slack's 3 seconds"


@pytest.fixture
def small_lane_bot(bot_settings: Any, clock: Any) -> Any:
    """A bot whose event lane works on one event and holds two more."""
    running = RunningBot(bot_settings, clock, event_lane=(1, 2))
    yield running
    running.stop()


def test_events_waiting_in_the_lane_and_in_the_inbox_are_seen(small_lane_bot, slack):
    client = SlackEventsClient(small_lane_bot.url, SIGNING_SECRET, team_id="T1", api=slack)
    assert client.command("open Acme: parcel lost", user="UAGENT").status == 200
    small_lane_bot.settle()
    card = slack.messages("C1")[0]
    idle = scrape(small_lane_bot.url)
    assert idle.get("casekeeper_queue_depth", queue="events") == 0
    assert idle.get("casekeeper_queue_capacity", queue="events") == 2
    assert idle.get("casekeeper_events_unfinished") == 0

    slow = slack.hold("reactions.add")  # Slack hangs on the first reply's ✅: the lane is busy
    try:
        reply = client.thread_reply("rang them", thread_ts=card.ts, user="UAGENT", channel="C1")
        assert reply.status == 200
        wait_until(slow.parked)
        for number in range(4):  # two wait in the lane, two in the inbox
            text = f"rang them again ({number})"
            assert client.thread_reply(text, thread_ts=card.ts, user="UAGENT", channel="C1").status == 200
        busy = scrape(small_lane_bot.url)
        assert busy.get("casekeeper_queue_depth", queue="events") == 2
        assert busy.get("casekeeper_events_unfinished") >= 4
    finally:
        slow.release()
    small_lane_bot.settle(timeout=30)
    wait_until(lambda: scrape(small_lane_bot.url).get("casekeeper_events_unfinished") == 0, timeout=30)
    done = scrape(small_lane_bot.url)
    assert done.get("casekeeper_queue_depth", queue="events") == 0


def test_readyz_says_ready_and_healthz_stays_the_cheap_check(bot):
    assert get(bot.url + "/readyz") == (200, "ready\n")
    assert get(bot.url + "/healthz") == (200, "ok\n")
    # The probes are answered before Bolt: no signature, and no other method.
    status, _ = get(bot.url + "/metrics?x=1")
    assert status == 200


def test_every_metric_the_readme_names_is_served(bot):
    with OPENER.open(bot.url + "/metrics", timeout=10) as response:
        families = list(text_string_to_metric_families(response.read().decode()))
    served = set()
    for family in families:
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count", ""]}
        served |= {family.name + suffix for suffix in suffixes.get(family.type, [""])}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Monitoring", 1)[1].split("\n### ", 1)[0]
    named = set(re.findall(r"\bcasekeeper_[a-z_]+[a-z]", section))
    assert named, "the README's Monitoring section names no metric"
    # Served only where the dispatcher's loop runs (tests/test_worker_probes.py reads it there).
    served.add("casekeeper_dispatcher_last_pass_age_seconds")
    assert named - served == set(), "named in the README, not served"
    ours = {name for name in served if name.startswith("casekeeper_")}
    documented = {name for name in ours if any(name.startswith(n) for n in named)}
    assert ours - documented == set(), "served, not in the README"
