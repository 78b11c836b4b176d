"""An operator runs `python -m bot report`, `export`, `team` or `dead` where the bot's database
isn't (a typo in DATABASE_URL, the wrong directory): each says so in one line and creates
nothing, rather than reporting "no cases" about an empty database it just made."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import bot_env

pytestmark = pytest.mark.backend_independent


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=bot_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "tool",
    [
        ["report"],
        ["report", "--format", "csv"],
        ["export", "--all"],
        ["team", "export"],
        ["dead", "list"],
        ["dead", "retry", "--all"],
        ["dead", "drop", "7"],
    ],
)
def test_a_missing_sqlite_file_is_said_to_be_missing_and_is_not_created(tool, tmp_path):
    missing = tmp_path / "elsewhere" / "casekeeper.sqlite3"
    missing.parent.mkdir()
    done = run(tmp_path, *tool, DATABASE_URL=f"sqlite:///{missing}")
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert f"no database at {missing}: set DATABASE_URL to the bot's database" in done.stderr
    assert not missing.exists()
    assert list(missing.parent.iterdir()) == []


@pytest.mark.parametrize("tool", ["report", "export"])
def test_without_database_url_the_default_file_in_the_working_directory_is_looked_for(tool, tmp_path):
    # No DATABASE_URL and no .env: the default sqlite:///casekeeper.sqlite3, which isn't here.
    done = run(tmp_path, tool, *(["--all"] if tool == "export" else []))
    assert done.returncode == 2, done.stderr
    assert "no database at casekeeper.sqlite3" in done.stderr
    assert list(tmp_path.iterdir()) == []
