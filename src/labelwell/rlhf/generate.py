"""Response generation for preference tasks: 2-4 responses per prompt with
different sampling settings, each with its provenance.

:class:`OpenAIChatGenerator` talks to any OpenAI-compatible ``/v1/chat/completions``
server (vLLM, TGI, Ollama, llama.cpp) with httpx: a concurrency limit, retries
with exponential backoff on 429/5xx and transport errors (``Retry-After`` is
honoured), and a JSONL checkpoint of finished ``(prompt_id, sample)`` keys so a
crashed run resumes where it stopped. :class:`TransformersGenerator` runs a local
``transformers`` causal LM (optional extra).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import httpx

from labelwell.errors import InvalidInput, LabelwellError
from labelwell.rlhf.records import Message, as_messages

RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Sampling:
    """One way of sampling a response; ``model`` overrides the generator's model
    (to compare model versions), ``seed`` is sent when set."""

    temperature: float = 1.0
    top_p: float = 1.0
    seed: int | None = None
    max_tokens: int | None = None
    model: str | None = None


DEFAULT_SAMPLINGS: tuple[Sampling, ...] = (
    Sampling(temperature=0.7, top_p=0.9),
    Sampling(temperature=1.0, top_p=1.0),
    Sampling(temperature=0.3, top_p=0.95),
    Sampling(temperature=1.2, top_p=0.98),
)


@dataclass(frozen=True, slots=True)
class PromptRequest:
    prompt_id: str
    messages: list[Message]

    @classmethod
    def of(cls, prompt_id: str, prompt: str | Sequence[dict[str, Any]]) -> PromptRequest:
        return cls(str(prompt_id), as_messages(prompt))


@dataclass(slots=True)
class GeneratedResponse:
    prompt_id: str
    sample: int
    text: str
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int]:
        return (self.prompt_id, self.sample)


class Generator(Protocol):
    """Anything that turns prompts into ``n_responses`` responses each."""

    n_responses: int

    def generate(self, requests: Iterable[PromptRequest]) -> list[GeneratedResponse]: ...


def _samplings(samplings: Sequence[Sampling], n: int) -> list[Sampling]:
    if not 1 <= n <= 8:
        raise InvalidInput("n_responses must be between 1 and 8", field="n_responses")
    if not samplings:
        raise InvalidInput("at least one sampling setting is needed", field="samplings")
    return [samplings[i % len(samplings)] for i in range(n)]


class Checkpoint:
    """Append-only JSONL of finished responses; a torn last line (crash while
    writing) is ignored on reading."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self) -> dict[tuple[str, int], GeneratedResponse]:
        done: dict[tuple[str, int], GeneratedResponse] = {}
        if not self.path.exists():
            return done
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            r = GeneratedResponse(
                rec["prompt_id"], int(rec["sample"]), rec["text"], rec["provenance"]
            )
            done[r.key] = r
        return done

    def append(self, response: GeneratedResponse) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(asdict(response), ensure_ascii=False) + "\n")
            f.flush()


class GenerationError(LabelwellError):
    code = "generation_failed"


class OpenAIChatGenerator:
    """Client of an OpenAI-compatible chat completions server."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        n_responses: int = 2,
        samplings: Sequence[Sampling] = DEFAULT_SAMPLINGS,
        max_concurrency: int = 4,
        max_retries: int = 5,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        timeout_s: float = 120.0,
        checkpoint: str | Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.n_responses = n_responses
        self.plan = _samplings(samplings, n_responses)
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.timeout_s = timeout_s
        self.checkpoint = Checkpoint(checkpoint) if checkpoint else None
        self.transport = transport
        self.retries_ = 0

    def generate(self, requests: Iterable[PromptRequest]) -> list[GeneratedResponse]:
        """All responses for ``requests`` (finished ones from the checkpoint
        included), ordered by prompt and sample."""
        return asyncio.run(self.agenerate(requests))

    async def agenerate(self, requests: Iterable[PromptRequest]) -> list[GeneratedResponse]:
        reqs = list(requests)
        done = self.checkpoint.load() if self.checkpoint else {}
        todo = [
            (r, i) for r in reqs for i in range(self.n_responses) if (r.prompt_id, i) not in done
        ]
        limit = asyncio.Semaphore(self.max_concurrency)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        async with httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=self.timeout_s,
            transport=self.transport,
        ) as client:

            async def one(req: PromptRequest, sample: int) -> None:
                async with limit:
                    resp = await self._complete(client, req, sample)
                if self.checkpoint:
                    self.checkpoint.append(resp)
                done[resp.key] = resp

            results = await asyncio.gather(*(one(r, i) for r, i in todo), return_exceptions=True)
        failures = [e for e in results if isinstance(e, BaseException)]
        if failures:
            # every other response is finished and checkpointed; a rerun resumes here
            raise GenerationError(
                f"{len(failures)} of {len(todo)} responses failed; first: {failures[0]}",
                details={"failed": len(failures)},
            ) from failures[0]
        return [done[(r.prompt_id, i)] for r in reqs for i in range(self.n_responses)]

    def _body(self, req: PromptRequest, s: Sampling) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": s.model or self.model,
            "messages": req.messages,
            "temperature": s.temperature,
            "top_p": s.top_p,
        }
        if s.seed is not None:
            body["seed"] = s.seed
        if s.max_tokens is not None:
            body["max_tokens"] = s.max_tokens
        return body

    async def _complete(
        self, client: httpx.AsyncClient, req: PromptRequest, sample: int
    ) -> GeneratedResponse:
        s = self.plan[sample]
        body = self._body(req, s)
        for attempt in range(self.max_retries + 1):
            wait = min(self.max_backoff_s, self.backoff_s * 2**attempt)
            try:
                r = await client.post("/v1/chat/completions", json=body)
            except httpx.TransportError as exc:
                if attempt == self.max_retries:
                    raise GenerationError(f"{req.prompt_id}#{sample}: {exc!r}") from exc
            else:
                if r.status_code == 200:
                    return self._parse(req, sample, s, body, r.json())
                if r.status_code not in RETRY_STATUS or attempt == self.max_retries:
                    raise GenerationError(
                        f"{req.prompt_id}#{sample}: HTTP {r.status_code}: {r.text[:200]}",
                        details={"status": r.status_code},
                    )
                after = r.headers.get("retry-after", "")
                if after.replace(".", "", 1).isdigit():
                    wait = min(self.max_backoff_s, float(after))
            self.retries_ += 1
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _parse(
        self, req: PromptRequest, sample: int, s: Sampling, body: dict[str, Any], data: Any
    ) -> GeneratedResponse:
        try:
            choice = data["choices"][0]
            text = choice["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise GenerationError(f"{req.prompt_id}#{sample}: malformed completion") from exc
        provenance = {
            "generator": "openai-chat",
            "base_url": self.base_url,
            "model": body["model"],
            "response_model": data.get("model"),
            "temperature": s.temperature,
            "top_p": s.top_p,
            "seed": s.seed,
            "max_tokens": s.max_tokens,
            "created": data.get("created") or int(time.time()),
            "finish_reason": choice.get("finish_reason"),
            "id": data.get("id"),
        }
        return GeneratedResponse(req.prompt_id, sample, text, provenance)


class TransformersGenerator:
    """A local Hugging Face causal LM (``pip install transformers``); sampling is
    seeded per response (``seed`` of the sampling, else ``base_seed + sample``)."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        *,
        n_responses: int = 2,
        samplings: Sequence[Sampling] = DEFAULT_SAMPLINGS,
        max_new_tokens: int = 64,
        base_seed: int = 0,
        name: str | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.n_responses = n_responses
        self.plan = _samplings(samplings, n_responses)
        self.max_new_tokens = max_new_tokens
        self.base_seed = base_seed
        self.name = name or getattr(getattr(model, "config", None), "name_or_path", None) or "local"

    def _prompt(self, messages: list[Message]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return str(
                self.tokenizer.apply_chat_template(
                    messages, tokenize=False, add_generation_prompt=True
                )
            )
        from labelwell.rlhf.records import prompt_text

        return prompt_text(messages)

    def generate(self, requests: Iterable[PromptRequest]) -> list[GeneratedResponse]:
        import torch

        out: list[GeneratedResponse] = []
        self.model.eval()
        for req in requests:
            enc = self.tokenizer(self._prompt(req.messages), return_tensors="pt")
            for i, s in enumerate(self.plan):
                s = s if s.seed is not None else replace(s, seed=self.base_seed + i)
                torch.manual_seed(int(s.seed or 0))
                with torch.no_grad():
                    ids = self.model.generate(
                        **enc,
                        do_sample=True,
                        temperature=s.temperature,
                        top_p=s.top_p,
                        max_new_tokens=s.max_tokens or self.max_new_tokens,
                        pad_token_id=self.tokenizer.pad_token_id,
                    )
                new = ids[0, enc["input_ids"].shape[1] :]
                text = self.tokenizer.decode(new, skip_special_tokens=True)
                prov = {
                    "generator": "transformers",
                    "model": self.name,
                    "temperature": s.temperature,
                    "top_p": s.top_p,
                    "seed": s.seed,
                    "max_tokens": s.max_tokens or self.max_new_tokens,
                    "created": int(time.time()),
                }
                out.append(GeneratedResponse(req.prompt_id, i, text, prov))
        return out
