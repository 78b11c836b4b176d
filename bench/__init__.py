"""Benchmarks: `make bench` (python -m bench). Each figure is measured against a baseline taken
in the same run, and the whole run writes bench/RESULTS.md."""
