"""Command-line arguments as the operator commands read them: a mistake is one line on stderr and
exit status 2 (the caller says it), never argparse's usage dump and exit of its own."""

from __future__ import annotations

import argparse
from typing import NoReturn


class UsageError(Exception):
    """Bad arguments: one line on stderr, exit 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)
