"""`make demo`, as a newcomer runs it: the whole story against the Slack stand-in, with the
buttons each message carries, and with KEEP=1 a database left behind that `python -m bot
report` and `export` answer from."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import bot_env

pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parent.parent


def test_make_demo_keep_passes_keep_on():
    planned = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "demo", "KEEP=1"], capture_output=True, text=True, timeout=30
    )
    assert "-m bot demo --keep" in planned.stdout, planned.stdout + planned.stderr
    plain = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "demo"], capture_output=True, text=True, timeout=30
    )
    assert "--keep" not in plain.stdout


def test_the_demo_plays_every_scene_and_keeps_a_database_report_and_export_read(tmp_path):
    played = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--keep"],
        cwd=tmp_path,
        env=bot_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert played.returncode == 0, played.stderr[-3000:]
    shown = played.stdout
    # The buttons each message carries, as the reader sees them.
    assert "[ Log contact ]  [ Promise ]  [ Edit ]  [ Close ]" in shown
    assert "[ Acknowledge ]  [ Take over ]  [ Reassign ]  [ Extend with reason ]" in shown
    # The scenes beyond the plain reminder and escalation.
    assert "This looks tight" in shown and "[ Use the safer time ]" in shown and "is now due" in shown
    assert "[ The customer knows the new time ]" in shown and "Rescheduled: CASE-2" in shown
    assert "has seen your missed promise" in shown and "Acknowledged by @maria" in shown
    assert "a recurring problem · Refund delays" in shown

    kept = tmp_path / "casekeeper-demo.sqlite3"
    assert f"The demo's database is kept: {kept}" in shown
    commands = re.findall(r"^  (DATABASE_URL=\S+ \S+ -m bot (?:report|export) .*)$", shown, re.M)
    assert len(commands) == 4, shown[-1500:]
    answers = [try_it(command, tmp_path) for command in commands]
    assert all(done.returncode == 0 for done in answers), [done.stderr for done in answers]
    report, csv_report, case_1, _ = (done.stdout for done in answers)
    assert "Workspace T1" in report and re.search(r"^UALEX +\d", report, re.M), report
    assert csv_report.startswith("team_id,agent,since,until,kept_on_time")
    document = json.loads(case_1)
    assert document["ref"] == "CASE-1" and document["recurrence"] == "recurring"
    assert document["category"] == "Refund delays"


def try_it(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The printed line as someone pastes it into a shell in the checkout."""
    setting, python, *arguments = shlex.split(command)
    name, _, value = setting.partition("=")
    return subprocess.run(
        [sys.executable if python.endswith("python") else python, *arguments],
        cwd=cwd,
        env=bot_env(**{name: value}),
        capture_output=True,
        text=True,
        timeout=60,
    )
