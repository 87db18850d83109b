"""Every Python example in docs/rlhf.md runs, and every rlhf command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from labelwell.cli.rlhf import rlhf_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "rlhf.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_doc_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_doc_example_runs(code):
    exec(compile(code, str(DOC), "exec"), {})


def test_every_command_has_help_and_docs():
    text = DOC.read_text(encoding="utf-8")
    for cmd in rlhf_app.registered_commands:
        assert cmd.callback.__doc__
        assert f"labelwell rlhf {cmd.name}" in text
