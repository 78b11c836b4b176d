"""One vocabulary for how promises end (bot/outcomes.py, README → Glossary): the same four
promises read the same words in `/case report`, on the manager's App Home, in the weekly digest
and in `python -m bot report` (table and CSV); and counts read as people write them ("1 open
promise", "2 open promises"), never "promise(s)"."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot import weekly
from bot.app.worker import Worker
from bot.outcomes import GLOSSARY
from tests.processes import bot_env
from tests.test_app_home import home_of, open_home, texts

ROOT = Path(__file__).resolve().parent.parent
# Kept early (before the reminder), kept on time after the reminder, kept late, missed.
LINE = "2 of 4 kept on time (50%), 1 of them early · 1 kept late · 1 missed"


def four_promises_ending_four_ways(agent: Any, clock: Any) -> None:
    cases = [agent.open_case(f"Acme {n}: refund") for n in range(4)]
    for case in cases:
        agent.command(f"promise {case.ref} in 1 hour: call back")
    clock.advance(minutes=30)  # the reminder is 15 minutes before the due time
    agent.command(f"done {cases[0].ref}")
    clock.advance(minutes=20)
    agent.command(f"done {cases[1].ref}")
    clock.advance(minutes=40)
    agent.command(f"done {cases[2].ref}")


def test_every_view_says_how_promises_ended_in_the_same_words(
    agent, person, signer, slack, bot, clock, database_url, tmp_path
):
    maria = person("UMGR", "maria", tz="Europe/London")
    agent.names_manager("UMGR")
    four_promises_ending_four_ways(agent, clock)

    report = maria.command("report 7d")
    assert LINE in report.text, report.text
    open_home(signer, bot, "UMGR")
    assert f"Last 7 days: {LINE}" in "\n".join(texts(home_of(slack, "UMGR")))

    until = clock.now()
    table = run_report(database_url, tmp_path, "--until", until.isoformat())
    assert table.returncode == 0, table.stderr
    head = next(line for line in table.stdout.splitlines() if line.startswith("agent"))
    assert re.split(r"\s{2,}", head)[:8] == [
        "agent",
        "kept on time",
        "of them early",
        "kept late",
        "missed",
        "rescheduled",
        "cancelled",
        "on-time rate",
    ]
    assert re.search(r"^UAGENT +2 +1 +1 +1 +0 +0 +2/4 \(50%\)", table.stdout, re.M), table.stdout
    rows = csv_rows(run_report(database_url, tmp_path, "--until", until.isoformat(), "--format", "csv"))
    (alex,) = [row for row in rows if row["agent"] == "UAGENT"]
    assert (alex["kept_on_time"], alex["kept_early"], alex["on_time_rate_percent"]) == ("2", "1", "50")

    # The weekly digest, at maria's Monday 09:00.
    schedule = weekly.parse("mon 09:00")
    assert schedule is not None
    clock.set(schedule.latest(clock.now() + timedelta(days=7), "Europe/London"))
    Worker(bot.services).send_digests()
    bot.tick()
    (digest,) = [m for m in slack.dms_to("UMGR") if "weekly digest" in m.all_text()]
    assert LINE in digest.all_text()

    for said in (report.text, digest.all_text(), table.stdout):
        assert "in time" not in said


def test_readme_glossary_defines_each_word_and_nothing_says_kept_in_time():
    readme = (ROOT / "README.md").read_text()
    glossary = readme.split("### Glossary: how a promise ends", 1)[1].split("\n## ", 1)[0]
    defined = re.findall(r"^\| ([^|]+?) \|", glossary, re.M)
    assert defined[1:] == list(GLOSSARY), defined  # the first row is the table's head
    sources = [ROOT / "README.md", *(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]
    assert [str(path) for path in sources if "kept in time" in path.read_text()] == []


def test_counts_read_as_written_one_promise_two_promises(agent, bot):
    one = agent.open_case("Acme: refund")
    assert "You have 1 open case." in agent.command("list").text
    agent.open_case("Globex: widget")
    assert "You have 2 open cases." in agent.command("list").text
    agent.command(f"promise {one.ref} in 1 hour: call back")
    agent.command(f"promise {one.ref} in 2 hours: send the form")
    agent.command(f"close {one.ref} sorted")
    assert "*2 promises still open.*" in agent.modal().all_text()
    shown = agent.command(f"show {one.ref}").text
    assert "0 contacts, 2 promises." in shown and "(s)" not in shown


def test_no_user_facing_text_counts_with_an_s_in_brackets():
    """ "promise(s)" reads like a form: every count goes through bot/plurals.py."""
    found = []
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                # In strings only; bot/plurals.py names what it is there to avoid.
                if (
                    re.search(r"""["'][^"']*[a-z]\(s\)(?=[\s.,:;!?"'*_]|$)""", line)
                    and path.name != "plurals.py"
                ):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def run_report(database_url: str, tmp_path: Any, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "report", "--since", "7d", *args],
        cwd=tmp_path,
        env=bot_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )


def csv_rows(done: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout)))
