"""The data behind each chart as a table: shown beside the chart and downloaded as CSV."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

Cell = str | int | float | None

# A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...), +cmd|...);
# a leading apostrophe makes it text (OWASP "CSV injection"). Tab and CR are there because some
# spreadsheets strip them and then see the formula behind them.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Table:
    """`name` is a slug ("promises-per-week") used in URLs and file names; `title` is for people."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]

    def __post_init__(self) -> None:
        if not _SLUG.fullmatch(self.name):
            raise ValueError(f"Table name {self.name!r} is not a slug (lowercase letters, digits, dashes).")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"Table {self.name}: a row has {len(row)} cells for {len(self.columns)} columns."
                )

    def to_csv(self) -> str:
        """RFC 4180 CSV (CRLF line ends, quoted as needed) with a header row; None is an empty
        cell; text a spreadsheet would run as a formula is made inert with a leading '."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([_inert(column) for column in self.columns])
        writer.writerows([_cell(cell) for cell in row] for row in self.rows)
        return buffer.getvalue()

    def filename(self, team_label: str, day: date) -> str:
        """casekeeper-<team>-<name>-<day>.csv with only [a-z0-9.-], safe in a Content-Disposition
        header on any system; the team part is left out when its label has no usable letters."""
        parts = ["casekeeper", slug(team_label), self.name, day.isoformat()]
        return "-".join(part for part in parts if part) + ".csv"


def slug(label: str, limit: int = 40) -> str:
    """A label as lowercase ASCII words joined by dashes: "Équipe Nord / EU" -> "equipe-nord-eu"."""
    ascii_only = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_only.lower())
    return "-".join(words)[:limit].strip("-")


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    # bool is an int, but True/False in a CSV would be read back as text anyway: say so plainly.
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        # A number is a number: -3 stays -3 (only text can smuggle a formula).
        return repr(value) if isinstance(value, float) else str(value)
    return _inert(value)


def _inert(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
