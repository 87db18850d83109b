"""Plain records of preference data, shared by imports, pairs, aggregation and exports.

The shapes match labelwell's annotation results: item data is
``{"prompt": str | messages, "responses": [{"id", "text", "model"?}, ...]}``; a
pairwise result is ``{"choice": "a" | "b" | "tie" | "both_bad", "reason": str}``;
a ranking is a list of tie groups, best first (``[["r2"], ["r1", "r3"]]``); a
correction is ``{"response_id", "text"}``. A prompt is kept as OpenAI-style
messages (``[{"role", "content"}, ...]``) so multi-turn conversations survive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from labelwell.errors import InvalidInput

Outcome = Literal["a", "b", "tie", "both_bad"]
OUTCOMES: tuple[Outcome, ...] = ("a", "b", "tie", "both_bad")
ROLES = ("system", "user", "assistant")

Message = dict[str, str]


def as_messages(prompt: str | Sequence[Mapping[str, Any]]) -> list[Message]:
    """A prompt as messages; a plain string becomes one user turn."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    out: list[Message] = []
    for i, m in enumerate(prompt):
        role, content = m.get("role"), m.get("content")
        if role not in ROLES or not isinstance(content, str):
            raise InvalidInput(
                f"message {i} needs role in {ROLES} and string content", field=f"prompt[{i}]"
            )
        out.append({"role": str(role), "content": content})
    if not out:
        raise InvalidInput("prompt has no messages", field="prompt")
    return out


def prompt_text(messages: Sequence[Message]) -> str:
    """Flatten messages for TRL's standard (non-conversational) format: a lone user
    turn is its content; otherwise each turn is written as ``Role: content``."""
    if len(messages) == 1 and messages[0]["role"] == "user":
        return messages[0]["content"]
    turns = [f"{m['role'].capitalize()}: {m['content']}" for m in messages]
    return "\n\n".join(turns) + "\n\nAssistant:"


@dataclass(slots=True)
class Response:
    id: str
    text: str
    model: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class PromptItem:
    """A prompt with candidate responses (the item data of a preference task)."""

    id: str
    prompt: list[Message]
    responses: list[Response] = field(default_factory=list)
    tags: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data(cls, item_id: str, data: Mapping[str, Any]) -> PromptItem:
        if "prompt" not in data:
            raise InvalidInput("item data needs a prompt", field="prompt")
        responses = []
        for i, r in enumerate(data.get("responses", [])):
            if not isinstance(r, Mapping) or "id" not in r or not isinstance(r.get("text"), str):
                raise InvalidInput("response needs id and text", field=f"responses[{i}]")
            responses.append(Response(str(r["id"]), r["text"], r.get("model")))
        ids = [r.id for r in responses]
        if len(set(ids)) != len(ids):
            raise InvalidInput("response ids repeat", field="responses")
        return cls(str(item_id), as_messages(data["prompt"]), responses)

    def response(self, response_id: str) -> Response:
        for r in self.responses:
            if r.id == response_id:
                return r
        raise InvalidInput(f"item {self.id} has no response {response_id!r}", field="response_id")


@dataclass(slots=True)
class Comparison:
    """One pairwise judgment of ``response_a`` against ``response_b``."""

    item_id: str
    response_a: str
    response_b: str
    outcome: Outcome
    annotator: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise InvalidInput(f"outcome must be one of {OUTCOMES}", field="choice")
        if self.response_a == self.response_b:
            raise InvalidInput("a response cannot be compared with itself", field="response_b")


@dataclass(slots=True)
class PreferencePair:
    """A decided preference: ``chosen`` is better than ``rejected`` for ``prompt``;
    with ``tie`` set the two were judged equally good (kept only on request)."""

    prompt: list[Message]
    chosen: str
    rejected: str
    margin: float | None = None
    item_id: str | None = None
    chosen_id: str | None = None
    rejected_id: str | None = None
    tie: bool = False


@dataclass(slots=True)
class LabelledCompletion:
    """An unpaired judgment (KTO): ``completion`` is desirable when ``label`` is true."""

    prompt: list[Message]
    completion: str
    label: bool
    item_id: str | None = None


@dataclass(slots=True)
class Correction:
    """A response rewritten by an annotator into a gold answer."""

    prompt: list[Message]
    text: str
    original: str | None = None
    item_id: str | None = None
    response_id: str | None = None


def comparison_from_result(
    item_id: str,
    response_a: str,
    response_b: str,
    result: Mapping[str, Any],
    annotator: str | None = None,
) -> Comparison:
    """A pairwise annotation result ``{"choice", "reason"}`` as a :class:`Comparison`."""
    choice = result.get("choice")
    if choice not in OUTCOMES:
        raise InvalidInput(f"choice must be one of {OUTCOMES}, got {choice!r}", field="choice")
    reason = result.get("reason")
    return Comparison(item_id, response_a, response_b, choice, annotator, reason)


def preference(
    item: PromptItem, first: str, second: str, outcome: str, margin: float | None = None
) -> PreferencePair | None:
    """The preference that ``outcome`` of ``first`` against ``second`` expresses
    (``a``: ``first`` wins, ``b``: ``second`` wins), or ``None`` for ``tie`` and
    ``both_bad``."""
    if outcome == "a":
        win, lose = first, second
    elif outcome == "b":
        win, lose = second, first
    else:
        return None
    return PreferencePair(
        item.prompt,
        item.response(win).text,
        item.response(lose).text,
        margin=margin,
        item_id=item.id,
        chosen_id=win,
        rejected_id=lose,
    )


def pair_from_comparison(item: PromptItem, c: Comparison) -> PreferencePair | None:
    """The preference a comparison expresses, or ``None`` for ``tie``/``both_bad``."""
    return preference(item, c.response_a, c.response_b, c.outcome)
