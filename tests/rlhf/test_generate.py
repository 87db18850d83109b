from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from labelwell.rlhf.generate import (
    GenerationError,
    OpenAIChatGenerator,
    PromptRequest,
    Sampling,
)
from threaded_server import ThreadedServer


class FakeServer(ThreadedServer):
    """A real chat-completions server with deterministic answers and scripted faults."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.faults: dict[str, list[int]] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def complete(request: Request):
            body = await request.json()
            self.calls.append(body)
            user = body["messages"][-1]["content"]
            script = self.faults.get(user)
            if script:
                status = script.pop(0)
                return JSONResponse({"error": "busy"}, status, headers={"Retry-After": "0"})
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            await asyncio.sleep(0.02)
            self.in_flight -= 1
            text = f"{body['model']}|t={body['temperature']}|p={body['top_p']}|{user[::-1]}"
            return {
                "id": f"cmpl-{len(self.calls)}",
                "object": "chat.completion",
                "created": 1700000000,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
            }

        super().__init__(app)


@pytest.fixture
def server():
    with FakeServer() as srv:
        yield srv


PROMPTS = [PromptRequest.of(f"p{i}", f"question {i}") for i in range(6)]


def test_responses_with_provenance_and_concurrency_limit(server):
    samplings = [Sampling(0.2, 0.9, seed=11), Sampling(1.0, 1.0, model="policy-v2")]
    gen = OpenAIChatGenerator(
        server.url, "policy-v1", api_key="k", n_responses=2, samplings=samplings, max_concurrency=3
    )
    out = gen.generate(PROMPTS)
    assert [r.key for r in out] == [(f"p{i}", s) for i in range(6) for s in (0, 1)]
    first, second = out[0], out[1]
    assert first.text == "policy-v1|t=0.2|p=0.9|0 noitseuq"
    assert second.text == "policy-v2|t=1.0|p=1.0|0 noitseuq"
    assert first.provenance["seed"] == 11 and second.provenance["seed"] is None
    assert first.provenance["created"] == 1700000000
    assert (first.provenance["temperature"], first.provenance["top_p"]) == (0.2, 0.9)
    assert second.provenance["model"] == "policy-v2"
    assert any(c.get("seed") == 11 for c in server.calls)
    assert 1 < server.max_in_flight <= 3


def test_retries_429_and_5xx_then_succeeds(server):
    server.faults["question 1"] = [429, 503]
    gen = OpenAIChatGenerator(server.url, "m", n_responses=1, backoff_s=0.01)
    out = gen.generate(PROMPTS[:2])
    assert out[1].text.endswith("1 noitseuq")
    assert gen.retries_ == 2
    assert len(server.calls) == 4


def test_client_error_is_not_retried(server):
    server.faults["question 0"] = [400]
    gen = OpenAIChatGenerator(server.url, "m", n_responses=1, backoff_s=0.01)
    with pytest.raises(GenerationError, match="HTTP 400"):
        gen.generate(PROMPTS[:1])
    assert len(server.calls) == 1


def test_resumes_from_checkpoint_after_failure(server, tmp_path):
    ckpt = tmp_path / "gen.jsonl"
    server.faults["question 4"] = [500] * 4  # both samples, both attempts
    kw = {"n_responses": 2, "backoff_s": 0.0, "max_retries": 1, "checkpoint": ckpt}
    with pytest.raises(GenerationError, match="2 of 12"):
        OpenAIChatGenerator(server.url, "m", **kw).generate(PROMPTS)
    assert len(ckpt.read_text().splitlines()) == 10
    with ckpt.open("a") as f:
        f.write('{"prompt_id": "p9", "sam')  # a torn last line from a crash
    before = len(server.calls)
    out = OpenAIChatGenerator(server.url, "m", **kw).generate(PROMPTS)
    assert len(out) == 12 and {r.prompt_id for r in out} == {f"p{i}" for i in range(6)}
    assert len(server.calls) - before == 2
    assert all(c["messages"][-1]["content"] == "question 4" for c in server.calls[before:])
