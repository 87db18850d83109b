"""The examples in docs/active_learning.md run."""

import re
from pathlib import Path

import numpy as np
import pytest
from scipy.special import softmax

DOC = Path(__file__).resolve().parents[2] / "docs" / "active_learning.md"


def _blocks():
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def _namespace():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((600, 3)) * 3
    y = rng.integers(3, size=600)
    probs = softmax(logits, axis=1)
    return {
        "probs": probs,
        "emb": rng.standard_normal((600, 16)),
        "emb_labeled": rng.standard_normal((20, 16)),
        "logits_cal": logits[:300],
        "y_cal": y[:300],
        "logits_pool": logits,
        "p_held": probs[300:],
        "y_held": y[300:],
        "conf_cal": rng.uniform(0.5, 1, 300),
        "correct_cal": rng.random(300) < 0.99,
        "conf_of_spot_checked": np.full(60, 0.99),
        "person_agreed": rng.random(60) < 0.9,
    }


@pytest.mark.parametrize("block", range(2))
def test_doc_example_runs(block):
    code = _blocks()[block]
    exec(compile(code, f"{DOC.name}[{block}]", "exec"), _namespace())


def test_doc_lists_every_strategy():
    from labelwell.assist import STRATEGIES

    text = DOC.read_text()
    assert len(_blocks()) == 2
    for name in STRATEGIES:
        assert f"`{name}`" in text
