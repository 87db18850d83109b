"""The Python examples in docs/formats.md run."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


def test_examples_in_formats_doc_run():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), {})


def test_every_registered_format_is_documented():
    """formats.md's table agrees with the registries on which names import, and
    every registered name appears in the docs."""
    import re

    from labelwell.formats.registry import EXPORTERS, IMPORTERS

    text = DOC.read_text(encoding="utf-8")
    docs = "".join(p.read_text(encoding="utf-8") for p in DOC.parent.glob("*.md"))
    for name in sorted({*EXPORTERS, *IMPORTERS}):
        assert f"`{name}`" in docs, name
    rows = list(re.finditer(r"^\| `([a-z_]+)` \| ([^|]+) \| ([^|]+) \| `[a-z_*]+\.py`", text, re.M))
    assert len(rows) >= 17
    for row in rows:
        name, exports, imports = row.group(1), row.group(2).strip(), row.group(3).strip()
        assert (name in EXPORTERS) == (exports != "—"), name
        assert (name in IMPORTERS) == (imports != "—"), name
