"""`python -m bot team import team.csv` as an operator runs it, next to the running bot: a whole
team's managers from a file of `agent,manager` user ids, checked line by line, shown first with
--dry-run, applied in one go or not at all; `python -m bot team export` writes the file back."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import link_manager
from tests.processes import bot_env
from tests.test_escalation_chain import at, escalations, promise


def team(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "team", *args],
        cwd=cwd,
        env=bot_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "team.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def manager_of(person) -> str:
    return person.command("manager").text


def test_a_dry_run_shows_what_would_change_and_changes_nothing(agent, manager, database_url, tmp_path, bot):
    agent.names_manager("UMGR")
    agent.open_case("Acme Corp: refund not received")
    csv = write(tmp_path, "agent,manager\nUAGENT,UOTHER\nUSAM,UMGR\n\n# Kim is new\nUKIM,UMGR\n")
    done = team(database_url, tmp_path, "import", csv, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "line 2: UAGENT: UOTHER (was UMGR)" in done.stdout
    assert "line 3: USAM: UMGR (was no manager)" in done.stdout
    assert "line 6: UKIM: UMGR (was no manager)" in done.stdout
    assert "Dry run: 3 would change. Nothing was changed." in done.stdout
    assert "escalate to <@UMGR>" in manager_of(agent)


def test_a_file_with_mistakes_is_refused_line_by_line_and_nothing_changes(
    agent, manager, database_url, tmp_path, bot
):
    agent.names_manager("UMGR")
    csv = write(
        tmp_path,
        "agent,manager\n"
        "UAGENT,maria\n"  # 2: a name, not an id
        "USAM,UMGR,UBOSS\n"  # 3: three columns
        "UKIM,UKIM\n"  # 4: their own manager
        "UDANA,UOTHER\n"  # 5: fine
        "UDANA,UMGR\n"  # 6: Dana twice
        "UMGR,UAGENT\n",  # 7: Alex reports to Maria already: a loop
    )
    done = team(database_url, tmp_path, "import", csv)
    assert done.returncode == 1 and done.stdout == ""
    errors = done.stderr.splitlines()
    assert "line 2: manager 'maria' is not a Slack user id" in errors[0]
    assert "line 3: expected 2 columns (agent,manager), found 3" in errors[1]
    assert "line 4: UKIM can't be their own manager" in errors[2]
    assert "line 6: UDANA is on line 5 already" in errors[3]
    assert "line 7: that makes a loop: UMGR → UAGENT → UMGR" in errors[4]
    assert "nothing was changed" in errors[5]
    assert "escalate to <@UMGR>" in manager_of(agent)


def test_an_import_puts_the_managers_in_force_at_once(
    agent, manager, other, person, database_url, tmp_path, bot, clock
):
    agent.names_manager("UMGR")
    sam = person("USAM", "sam")
    case = agent.open_case("Acme Corp: refund not received")
    csv = write(tmp_path, "agent,manager\nUAGENT,UOTHER\nUSAM,UMGR\nUMGR,UOTHER\n")
    done = team(database_url, tmp_path, "import", csv)
    assert done.returncode == 0, done.stderr
    assert "3 changed." in done.stdout
    assert "escalate to <@UOTHER>" in manager_of(agent) and "escalate to <@UMGR>" in manager_of(sam)
    promise(agent, case)
    at(clock, bot, minutes=30)
    assert len(escalations(other)) == 1 and escalations(manager) == []
    # Nobody was told by DM unless asked for (--tell).
    assert [m for m in sam.dms() if "manager" in m.all_text()] == []

    exported = team(database_url, tmp_path, "export")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == "agent,manager\nUAGENT,UOTHER\nUMGR,UOTHER\nUSAM,UMGR\n"

    csv = write(tmp_path, "USAM,\n")  # no header; an empty manager removes it
    done = team(database_url, tmp_path, "import", csv, "--tell")
    assert done.returncode == 0 and "1 changed. Everyone concerned will get a DM." in done.stdout
    # The import wrote the DM to the outbox on the real clock; the bot's (a test clock) catches up.
    clock.set(datetime.now(UTC) + timedelta(seconds=1))
    bot.tick()
    assert "You have no manager" in manager_of(sam)
    assert len([m for m in sam.dms() if "an admin removed your manager" in m.all_text()]) == 1


def test_several_workspaces_need_to_be_told_apart(agent, database_url, tmp_path, bot):
    agent.open_case("Acme Corp: refund not received")
    link_manager(bot, "UX1", "UX2", team_id="T2")
    csv = write(tmp_path, "UAGENT,UMGR\n")
    done = team(database_url, tmp_path, "import", csv)
    assert done.returncode == 2 and "several workspaces (T1, T2): give --team" in done.stderr
    done = team(database_url, tmp_path, "import", csv, "--team", "T1")
    assert done.returncode == 0 and "1 changed." in done.stdout
    assert team(database_url, tmp_path, "import", str(tmp_path / "missing.csv")).returncode == 2
