"""Every dependency is installed at a version pinned in constraints.txt, so a run of the
suite today and a run next month resolve the same packages."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        assert sep, f"constraints.txt: {line!r} is not an exact pin (name==version)"
        pins[_canonical(name)] = version.strip()
    return pins


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {_canonical(NAME.match(r).group(1)) for r in requirements}


def test_every_declared_dependency_is_pinned():
    missing = sorted(_declared() - set(_pins()))
    assert not missing, f"not pinned in constraints.txt: {missing} (run `make constraints`)"


def test_installed_versions_match_the_pins():
    pins = _pins()
    wrong = []
    for name in sorted(_declared()):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # an extra this environment does not install
        if installed.split("+", 1)[0] != pins[name]:
            wrong.append(f"{name} {installed} (pinned {pins[name]})")
    assert not wrong, f"installed versions differ from constraints.txt: {wrong}"
