"""The bot as an operator runs it: `python -m bot <command>` in its own process, with its
settings in the environment, its log in a file the test can read."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port for a bot process to listen on. Not one the kernel hands out itself (port 0,
    outgoing connections): between this probe and the bot's bind, any other process could be
    given that one. The ports below the kernel's range are split between the SQLite and the
    PostgreSQL run, which `make test` runs side by side."""
    low = _ephemeral_floor()
    half = (low - 10000) // 2
    start = 10000 + (half if os.environ.get("TEST_DATABASE_URL") else 0)
    for _ in range(200):
        port = random.randrange(start, start + half)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port in {start}-{start + half}")


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def bot_env(**settings: str) -> dict[str, str]:
    """Only what the bot needs: a developer's own SLACK_* or DATABASE_URL must not leak in."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **settings}


def migrate(env: dict[str, str], cwd: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "bot", "migrate"], cwd=cwd, env=env, check=True, capture_output=True
    )


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 40) -> bool:
    """True once GET <url>/healthz answers 200; False if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.1)


class BotProcess:
    def __init__(
        self,
        command: str,
        env: dict[str, str],
        cwd: Path,
        name: str | None = None,
        args: tuple[str, ...] = (),
    ):
        self.command = command
        self.log_path = cwd / f"{name or command}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", command, *args],
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=self._log,
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def wait_healthy(self, port: int, timeout: float = 40) -> str:
        """The bot's base URL once GET /healthz answers 200."""
        url = f"http://127.0.0.1:{port}"
        if not wait_healthy(url, self.process, timeout):
            raise AssertionError(f"`python -m bot {self.command}` did not start:\n{self.log()}")
        return url

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never logged:\n{self.log()}")
            time.sleep(0.02)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, as a platform stops a process; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self._log.close()
