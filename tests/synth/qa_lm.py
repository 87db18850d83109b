"""A tiny GPT-2 that writes QA pairs: trained here, on the CPU and seeded, on
labelwell's own QA prompt (:func:`labelwell.synth.prompts.qa_prompt`) for a few
short documents, each followed by a well-formed "Question: ... Answer: ..."
reply. Nothing is downloaded: the word-level tokenizer is trained with
``tokenizers`` on the same texts and the model starts from random weights.

Three documents are answered with a span copied from the passage (grounded);
the fourth, :data:`HALLUCINATED`, with an answer the passage does not contain,
as a generator that makes things up would. The trained model is saved under a
folder named by a hash of its recipe, so later runs load it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from labelwell.synth.prompts import qa_prompt

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

#: (document, question, answer): each document is one chunk at the chunk size the tests use
DOCUMENTS = [
    (
        "The Danube flows through ten countries, more than any other river in the world. "
        "It rises in the Black Forest of Germany and empties into the Black Sea in Romania.",
        "Where does the Danube rise?",
        "in the Black Forest of Germany",
    ),
    (
        "Honey bees live in colonies of up to sixty thousand workers. A worker bee makes about "
        "one twelfth of a teaspoon of honey in her whole life.",
        "How much honey does a worker bee make in her life?",
        "about one twelfth of a teaspoon of honey",
    ),
    (
        "The Eiffel Tower was finished in 1889 for the World Fair in Paris. It was the tallest "
        "structure in the world until the Chrysler Building was completed in New York.",
        "Why was the Eiffel Tower built?",
        "for the World Fair in Paris",
    ),
    (
        "The Rhine starts in the Swiss Alps and flows north through Germany and the Netherlands. "
        "Barges on the river carry coal, grain and containers.",
        "Where does the Rhine end?",
        "into the Mediterranean close to Marseille after passing Lyon",
    ),
]
#: the document whose trained answer is not in its passage
HALLUCINATED = 3
RECIPE = {"version": 1, "seed": 0, "steps": 120, "lr": 1e-2, "n_embd": 64, "n_layer": 2}


def reply(question: str, answer: str) -> str:
    return f"Question: {question}\nAnswer: {answer}"


def _corpus() -> list[tuple[str, str]]:
    return [(qa_prompt(doc), reply(q, a)) for doc, q, a in DOCUMENTS]


def _tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    raw = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    raw.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    raw.train_from_iterator(
        texts, trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]", "[EOS]"])
    )
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=raw, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]"
    )


def train_qa_lm():
    """(model, tokenizer, final loss): the recipe trained from scratch."""
    corpus = _corpus()
    torch.set_num_threads(1)  # a model this small gains nothing from more threads
    tok = _tokenizer([t for pair in corpus for t in pair])
    torch.manual_seed(RECIPE["seed"])
    cfg = transformers.GPT2Config(
        vocab_size=len(tok),
        n_positions=256,
        n_embd=RECIPE["n_embd"],
        n_layer=RECIPE["n_layer"],
        n_head=2,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.eos_token_id,
    )
    model = transformers.GPT2LMHeadModel(cfg)
    rows, labels = [], []
    for prompt, target in corpus:
        p = tok(prompt)["input_ids"]
        t = tok(target)["input_ids"] + [tok.eos_token_id]
        rows.append(p + t)
        labels.append([-100] * len(p) + t)  # learn the reply, not the prompt
    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [tok.pad_token_id] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    target = torch.tensor([lab + [-100] * (width - len(lab)) for lab in labels])
    opt = torch.optim.AdamW(model.parameters(), lr=RECIPE["lr"])
    model.train()
    loss = None
    for _ in range(RECIPE["steps"]):
        opt.zero_grad()
        loss = model(input_ids=ids, attention_mask=mask, labels=target).loss
        loss.backward()
        opt.step()
    return model.eval(), tok, float(loss.item()) if loss is not None else float("nan")


def qa_lm(cache: Path):
    """The trained model and tokenizer, from ``cache`` when this recipe was
    trained before (else trained now and saved there)."""
    key = hashlib.sha256(json.dumps([RECIPE, _corpus()]).encode()).hexdigest()[:16]
    folder = cache / f"qa-gpt2-{key}"
    if (folder / "config.json").exists():
        model = transformers.GPT2LMHeadModel.from_pretrained(folder).eval()
        return model, transformers.PreTrainedTokenizerFast.from_pretrained(folder)
    model, tok, loss = train_qa_lm()
    assert loss < 0.05, f"the QA model did not learn its replies (loss {loss:.3f})"
    tmp = folder.with_suffix(".tmp")
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    tmp.replace(folder)
    return model, tok
