"""`python -m bench [--quick] [--only ack,memory,...] [--output bench/RESULTS.md]`: every figure
in one run, each against a baseline measured in the same run, then bench/RESULTS.md."""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import ROOT, Context, Section, postgres_url_from_env
from bench.results import write

# In the order they run; the name is the module in bench/.
FIGURES = ("ack", "request_path", "throughput", "sweep", "punctuality", "memory", "dashboard")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, not figures")
    parser.add_argument("--only", help=f"comma-separated figures out of {', '.join(FIGURES)}")
    parser.add_argument("--output", type=Path, help="where to write the results (default bench/RESULTS.md)")
    args = parser.parse_args(argv)
    chosen = FIGURES if not args.only else tuple(name.strip() for name in args.only.split(","))
    unknown = [name for name in chosen if name not in FIGURES]
    if unknown:
        parser.error(f"no figure {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    output = args.output or (ROOT / "bench" / ("RESULTS-quick.md" if args.quick else "RESULTS.md"))
    postgres = postgres_url_from_env()
    if postgres is None:
        print("bench: no PostgreSQL (TEST_DATABASE_URL unset): its figures are left out", file=sys.stderr)
    sections: list[Section] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="casekeeper-bench-") as workdir:
        ctx = Context(Path(workdir), postgres, quick=args.quick)
        for name in chosen:
            print(f"== {name}", flush=True)
            began = time.monotonic()
            section = importlib.import_module(f"bench.{name}").run(ctx)
            section.seconds = time.monotonic() - began
            sections.append(section)
            print(f"   ({section.seconds:.0f} s)", flush=True)
    total = time.monotonic() - started
    write(output, sections, total=total, quick=args.quick, argv=sys.argv[1:] if argv is None else argv)
    missed = [row for section in sections for row in section.rows if row.met is False]
    print(f"bench: {len(sections)} figures in {total:.0f} s; {len(missed)} goals missed; wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
