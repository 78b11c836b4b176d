"""A team lead downloads a chart's table and opens it in a spreadsheet: it reads back cell for
cell, a customer's text can't run as a formula, and the file name is safe everywhere."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from bot.dashboard.tables import Table

pytestmark = pytest.mark.backend_independent


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_a_table_round_trips_through_a_csv_reader():
    table = Table("promises-per-week", "Promises per week", ["week", "kept", "rate", "note"], [
        ["Nov 30", 12, 0.75, 'said "soon", then\nleft'],
        ["Dec 7", 0, None, ""],
    ])
    text = table.to_csv()
    assert text.endswith("\r\n") and text.count("\r\n") == 3  # the newline inside a cell is quoted
    assert read(text) == [
        ["week", "kept", "rate", "note"],
        ["Nov 30", "12", "0.75", 'said "soon", then\nleft'],
        ["Dec 7", "0", "", ""],
    ]


def test_text_a_spreadsheet_would_run_is_made_inert_but_numbers_stay_numbers():
    hostile = ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "plain", "a=b"]
    table = Table("notes", "Notes", ["=title", "change"], [[cell, -3] for cell in hostile] + [["x", -2.5]])
    rows = read(table.to_csv())
    assert rows[0] == ["'=title", "change"]
    assert [row[0] for row in rows[1:-1]] == ["'" + cell for cell in hostile[:6]] + ["plain", "a=b"]
    assert {row[1] for row in rows[1:-1]} == {"-3"} and rows[-1][1] == "-2.5"


def test_the_file_name_is_safe_and_says_what_it_holds():
    table = Table("promises-per-week", "Promises per week", ["week"], [])
    assert table.filename("", date(2026, 12, 4)) == "casekeeper-promises-per-week-2026-12-04.csv"
    named = table.filename('Équipe Nord / "EU"\r\n../..', date(2026, 12, 4))
    assert named == "casekeeper-equipe-nord-eu-promises-per-week-2026-12-04.csv"


def test_a_name_that_is_not_a_slug_or_a_short_row_is_refused():
    with pytest.raises(ValueError, match="not a slug"):
        Table("../etc/passwd", "x", ["a"], [])
    with pytest.raises(ValueError, match="1 cells for 2 columns"):
        Table("ok", "x", ["a", "b"], [["only one"]])
