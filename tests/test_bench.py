"""`make bench` keeps working: the runner, run as an operator runs it, on the smallest sizes.
The figures themselves are in bench/RESULTS.md; these sizes measure nothing."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bench.harness import Row, Section, percentile
from bench.results import HAND_WRITTEN, write
from tests.processes import ROOT

pytestmark = pytest.mark.backend_independent


# The figures run for real, on tiny sizes: over a minute of both cores. `make test` runs it
# alone; a plain pytest skips it.
@pytest.mark.slow
def test_the_runner_measures_each_figure_and_writes_the_results(tmp_path):
    output = tmp_path / "RESULTS.md"
    figures = ["ack", "request_path", "memory", "throughput", "sweep"]
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", ",".join(figures), "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 0, run.stdout + run.stderr
    text = output.read_text()
    assert "Quick run" in text and "## How to reproduce" in text and "Python 3." in text
    # Every level of the acknowledgement figure, with a measured ratio against the bare app.
    for kind in ("/case open", "thread reply"):
        for level in (1, 20, 100):
            line = next(row for row in text.splitlines() if row.startswith(f"| {kind}, {level} at once"))
            assert re.search(r"\| \d+\.\d\d× \|", line), line
        # And the slowest acknowledgement of all, against Slack's 3 seconds.
        assert re.search(rf"\| {kind}, the slowest at any level \| \d+\.\d ms \|", text)
    assert re.search(r"\| after 2,000 events \| \d+\.\d MiB \| \d+\.\d MiB \|", text)
    # The request path: commands under a flood and with Slack slow, against the bare app.
    assert re.search(r"\| /case list ack while \d+ replies arrive, while Slack takes 4 s a call", text)
    assert re.search(r"\| CPU per logged thread reply [^|]*\| \d+\.\d ms \|", text)


def test_what_is_written_by_hand_below_the_marker_survives_the_next_run(tmp_path):
    output = tmp_path / "RESULTS.md"
    section = Section("Memory of one process", "RSS from /proc.", [Row("idle", "80.0 MiB")])
    write(output, [section], total=1.0, quick=False, argv=[])
    assert HAND_WRITTEN in output.read_text()
    output.write_text(output.read_text() + "Profiled: the inbox write waited for the SQLite turn.\n")
    section.rows = [Row("idle", "81.5 MiB")]
    write(output, [section], total=1.0, quick=False, argv=[])
    text = output.read_text()
    assert "| idle | 81.5 MiB |" in text and "80.0 MiB" not in text
    assert text.endswith("Profiled: the inbox write waited for the SQLite turn.\n")


def test_an_unknown_figure_is_refused_by_name():
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "ack,speed"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "no figure speed" in run.stderr


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([5, 1, 4, 2, 3], 50, 3),
        ([5, 1, 4, 2, 3], 99, 5),
        ([5, 1, 4, 2, 3], 20, 1),
        (list(range(1, 101)), 99, 99),
    ],
)
def test_percentile_is_the_nearest_rank(values, p, expected):
    assert percentile(values, p) == expected
