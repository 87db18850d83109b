#!/usr/bin/env python3
"""Refresh the browser libraries vendored under ``src/labelwell/server/static/vendor/``
from the npm registry, as ``vendor.json`` there pins them.

    python scripts/vendor.py            # fetch every package in vendor.json
    python scripts/vendor.py three      # only this one
    python scripts/vendor.py --check    # say which pinned files are missing

Each entry names an npm package, its exact version, the folder it goes to and the
files to copy out of the package's tarball (licence files included); an optional
``replace`` maps a target file to ``[old, new]`` string pairs, used to turn a bare
import specifier (``from 'three'``) into a relative path, since pages allow no
inline import map under their content security policy. The tarball's
``dist.integrity`` (sha512) from the registry is checked before anything is written.
Nothing is fetched at run time: the app serves only what this script wrote."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "labelwell" / "server" / "static" / "vendor"
MANIFEST = VENDOR / "vendor.json"
REGISTRY = "https://registry.npmjs.org"
_SOURCE_MAP = re.compile(rb"^//# sourceMappingURL=.*$|/\*# sourceMappingURL=.*?\*/", re.M)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (https only)
        return bytes(response.read())


def _check_integrity(blob: bytes, integrity: str, name: str) -> None:
    algo, _, digest = integrity.partition("-")
    if algo != "sha512":
        raise SystemExit(f"{name}: the registry gives {algo} integrity, expected sha512")
    if base64.b64encode(hashlib.sha512(blob).digest()).decode() != digest:
        raise SystemExit(f"{name}: the tarball does not match the registry's sha512")


def fetch(entry: dict[str, object]) -> None:
    package, version = str(entry["package"]), str(entry["version"])
    meta = json.loads(_get(f"{REGISTRY}/{package}/{version}"))
    blob = _get(meta["dist"]["tarball"])
    _check_integrity(blob, meta["dist"]["integrity"], f"{package}@{version}")
    dest = VENDOR / str(entry["folder"])
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for source, target in dict(entry["files"]).items():  # type: ignore[call-overload]
            member = tar.extractfile(f"package/{source}")
            if member is None:
                raise SystemExit(f"{package}@{version}: no file {source} in the tarball")
            data = member.read()
            if target.endswith((".js", ".mjs", ".css")):
                # the source maps the files name are not shipped
                data = _SOURCE_MAP.sub(b"", data)
            for old, new in dict(entry.get("replace", {})).get(target, []):  # type: ignore[call-overload]
                if old.encode() not in data:
                    raise SystemExit(f"{package}@{version}: {target} has no {old!r} to replace")
                data = data.replace(old.encode(), new.encode())
            out = dest / target
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
    print(f"{package}@{version} -> {dest.relative_to(ROOT)}")


def main(argv: list[str]) -> int:
    entries = json.loads(MANIFEST.read_text())["packages"]
    if "--check" in argv:
        missing = [
            f"{e['folder']}/{target}"
            for e in entries
            for target in e["files"].values()
            if not (VENDOR / e["folder"] / target).is_file()
        ]
        for path in missing:
            print(f"missing: {path}")
        return 1 if missing else 0
    wanted = set(argv)
    for entry in entries:
        if not wanted or entry["package"] in wanted:
            fetch(entry)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
