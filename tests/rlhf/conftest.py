from __future__ import annotations

from pathlib import Path

import pytest

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "rlhf"


@pytest.fixture
def rlhf_data() -> Path:
    if not (DATASETS / "dpo_en_demo.json").exists():
        pytest.skip(f"shared RLHF datasets not found at {DATASETS}")
    return DATASETS
