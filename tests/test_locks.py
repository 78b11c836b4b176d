"""The lock files `make install` installs from agree with pyproject.toml: every dependency is
pinned, within its range, with hashes, and the two locks pin the same versions. A dependency
added to pyproject without `make lock` fails here, not on a fresh machine."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pinned(lock: str) -> dict[str, tuple[str, int]]:
    """name -> (version, how many hashes) of each package the lock file pins."""
    found: dict[str, tuple[str, int]] = {}
    current = None
    for line in (ROOT / lock).read_text().splitlines():
        pin = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s\\]+)", line)
        if pin:
            current = canonicalize_name(pin.group(1))
            found[current] = (pin.group(2), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
    return found


def wanted(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(text) for text in declared]


def test_every_dependency_is_pinned_within_its_range_with_hashes():
    runtime, dev = pinned("requirements.lock"), pinned("requirements-dev.lock")
    for lock, requirements in ((runtime, wanted()), (dev, wanted() + wanted("dev"))):
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            assert name in lock, f"{requirement} is in pyproject.toml but not locked: run `make lock`"
            version, _ = lock[name]
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{name}=={version} is outside pyproject's {requirement}: run `make lock`"
            )
    for lock in (runtime, dev):
        unhashed = [name for name, (_, hashes) in lock.items() if hashes == 0]
        assert lock and not unhashed, f"pinned without a hash: {unhashed}"


def test_both_locks_pin_the_same_versions():
    runtime, dev = pinned("requirements.lock"), pinned("requirements-dev.lock")
    differ = {
        name: (version, dev.get(name, ("missing",))[0])
        for name, (version, _) in runtime.items()
        if dev.get(name, ("missing",))[0] != version
    }
    assert not differ, f"the runtime and dev locks disagree: {differ}"
