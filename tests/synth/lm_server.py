"""A real OpenAI-compatible chat-completions server backed by a tiny GPT-2
built here: a word-level tokenizer trained with ``tokenizers`` on a small
corpus and a randomly initialised ``transformers`` GPT-2 from a config.
Nothing is downloaded. Its answers are random words of the corpus, seeded by
the request, so the same request gets the same answer."""

from __future__ import annotations

import threading
import zlib

import pytest
from fastapi import FastAPI, Request

from threaded_server import ThreadedServer

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

CORPUS = [
    "Describe the water cycle to a child in three simple sentences",
    "List five healthy snacks that are easy to prepare at work",
    "Explain why the sky looks blue during the day and red at sunset",
    "Suggest a name for a bakery that sells only vegan bread",
    "Translate the sentence into French and explain the tense you used",
    "Summarise the main argument of the passage in one sentence",
    "Give three tips for writing a clear email to a new colleague",
    "Classify the review as positive or negative and give a reason",
    "Write a short poem about autumn leaves falling in the park",
    "Compare trains and planes for a trip of five hundred kilometres",
    "the of and to in is was for on with as by at from that this it",
]


def build_lm(seed: int = 0):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    raw = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    raw.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    raw.train_from_iterator(
        CORPUS, trainers.WordLevelTrainer(special_tokens=["[PAD]", "[UNK]", "[EOS]"])
    )
    tok = transformers.PreTrainedTokenizerFast(
        tokenizer_object=raw, pad_token="[PAD]", unk_token="[UNK]", eos_token="[EOS]"
    )
    torch.manual_seed(seed)
    cfg = transformers.GPT2Config(
        vocab_size=len(tok),
        n_positions=512,
        n_embd=32,
        n_layer=2,
        n_head=2,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.eos_token_id,
    )
    model = transformers.GPT2LMHeadModel(cfg).eval()
    return model, tok


class TinyLMServer(ThreadedServer):
    """``POST /v1/chat/completions`` answered by a tiny GPT-2 in a thread: the
    random one of :func:`build_lm` (made to write exactly ``max_tokens`` words),
    or ``lm`` = (model, tokenizer), which stops at its end-of-sequence token."""

    def __init__(self, name: str = "tiny-gpt2", max_tokens: int = 16, lm=None) -> None:
        self.name = name
        self.model, self.tok = lm if lm is not None else build_lm()
        self.min_new = lm is None
        self.calls = 0
        self.lock = threading.Lock()
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def complete(request: Request):
            body = await request.json()
            prompt = "\n".join(m["content"] for m in body["messages"])
            n_new = int(body.get("max_tokens") or max_tokens)
            seed = body.get("seed")
            if seed is None:
                seed = zlib.crc32(prompt.encode())
            text = self.generate(
                prompt,
                n_new,
                float(body.get("temperature", 1.0)),
                float(body.get("top_p", 1.0)),
                int(seed),
            )
            self.calls += 1
            return {
                "id": f"cmpl-{self.calls}",
                "object": "chat.completion",
                "created": 1700000000,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "length",
                    }
                ],
            }

        super().__init__(app)

    def generate(self, prompt: str, n_new: int, temperature: float, top_p: float, seed: int) -> str:
        ids = self.tok(prompt, return_tensors="pt")["input_ids"][:, -(512 - n_new) :]
        with self.lock, torch.no_grad():
            torch.manual_seed(seed)
            out = self.model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                do_sample=temperature > 0,
                temperature=max(temperature, 1e-3),
                top_p=top_p,
                max_new_tokens=n_new,
                min_new_tokens=n_new if self.min_new else None,
                pad_token_id=self.tok.pad_token_id,
            )
        return self.tok.decode(out[0, ids.shape[1] :], skip_special_tokens=True).strip()
