"""The wiring, in real time: `python -m bot` as a user starts it, second-scale durations,
real signed HTTP, the real scheduler loop. Proves start-up, migration, the dispatcher's
wake-ups and SIGTERM; the scheduling math itself is covered with the injected clock."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.slack_standin import SlackEventsClient

ROOT = Path(__file__).resolve().parents[1]
SECRET = "realtime-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(params=["run", "web+worker"])
def real_bot(request, tmp_path, slack, database_url):
    """`python -m bot`, or the Procfile's split: `web` and `worker` on one database."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": "xoxb-realtime",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.base_url,
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "REMINDER_LEAD": "2s",
        "ESCALATION_GRACE": "1s",
        "PYTHONPATH": str(ROOT),
    }
    with open(tmp_path / "bot.log", "w+") as log:
        subprocess.run(
            [sys.executable, "-m", "bot", "migrate"], cwd=tmp_path, env=env, check=True, capture_output=True
        )
        commands = [["run"]] if request.param == "run" else [["web"], ["worker"]]
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", *command], cwd=tmp_path, env=env, stdout=log, stderr=log
            )
            for command in commands
        ]
        process = processes[0]
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"bot did not start:\n{log.read()}")
            time.sleep(0.1)
        yield processes, url
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(5)


def test_reminder_and_escalation_arrive_on_time_from_the_real_scheduler(real_bot, slack):
    _process, url = real_bot
    client = SlackEventsClient(url, SECRET, team_id="T1", api=slack)
    assert client.command("manager <@UMGR|maria>", user="UAGENT").status == 200
    assert client.command("open Acme: refund", user="UAGENT").status == 200
    card = slack.wait_for(lambda: next(iter(slack.messages("C1")), None), timeout=10)
    made_at = time.time()
    assert client.command("promise CASE-1 in 4 seconds: call back", user="UAGENT").status == 200
    reminder = slack.wait_for(lambda: next(iter(slack.dms_to("UAGENT")), None), timeout=10)
    reminded_at = next(c.at for c in slack.calls("chat.postMessage") if c.params.get("channel") == "UAGENT")
    escalation = slack.wait_for(lambda: next(iter(slack.dms_to("UMGR")), None), timeout=10)
    escalated_at = next(c.at for c in slack.calls("chat.postMessage") if c.params.get("channel") == "UMGR")
    assert "CASE-1" in reminder.all_text() and "CASE-1" in escalation.all_text()
    # Due in 4s, reminded 2s before, escalated 1s after: on time to within the poll interval.
    assert 1.5 <= reminded_at - made_at <= 4.5
    assert 4.5 <= escalated_at - made_at <= 8.0
    assert card.ts
    time.sleep(1)
    assert len(slack.dms_to("UAGENT")) == 1 and len(slack.dms_to("UMGR")) == 1


def test_sigterm_stops_the_bot_cleanly(real_bot):
    processes, _url = real_bot
    for process in processes:
        process.send_signal(signal.SIGTERM)
    assert [p.wait(15) for p in processes] == [0] * len(processes)
