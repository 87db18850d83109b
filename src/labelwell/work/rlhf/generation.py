"""Generated comparisons, split so no transaction stays open while a model
answers: :func:`plan_generation` (read the pending prompts), the caller runs a
:class:`~labelwell.rlhf.generate.Generator`, then :func:`store_comparisons`
writes one comparison item per prompt into the target project. Prompts that
already have an item there are skipped, so a rerun resumes; the generator's
checkpoint resumes inside a run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow
from labelwell.rlhf.decisions import PREFERENCE_TYPES, controls_of
from labelwell.rlhf.generate import GeneratedResponse, PromptRequest
from labelwell.rlhf.records import PromptItem
from labelwell.store.tables import Import, Item
from labelwell.work import items
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of
from labelwell.work.rlhf.prompts import project_prompts, prompt_data


@dataclass(frozen=True, slots=True)
class GenerationPlan:
    """Prompts of ``source_id`` still without a comparison item in ``target_id``."""

    source_id: int
    target_id: int
    prompts: list[PromptItem]
    n_done: int
    #: a pairwise target given more than 2 responses: one item per pair of them
    split_pairs: bool = False

    @property
    def requests(self) -> list[PromptRequest]:
        return [PromptRequest(p.id, p.prompt) for p in self.prompts]


def _check_target(ontology: Any, n_responses: int) -> None:
    if not any(controls_of(ontology, k) for k in PREFERENCE_TYPES):
        raise InvalidInput("the target project needs a pairwise or ranking control", field="target")
    if controls_of(ontology, "pairwise") and controls_of(ontology, "ranking"):
        raise InvalidInput(
            "the target project has both pairwise and ranking controls; an item "
            "cannot hold 2 responses for one and more for the other",
            field="target",
        )
    if n_responses < 2:
        raise InvalidInput("a comparison needs at least 2 responses", field="n")


def _pair_key(prompt_id: str, i: int, j: int) -> str:
    return f"{prompt_id}/r{i + 1}-r{j + 1}"


def plan_generation(
    session: Session, actor: Actor, source_id: int, target_id: int, *, n_responses: int = 2
) -> GenerationPlan:
    """Check both projects and list the prompts still to generate for. A pairwise
    target given more than 2 responses per prompt gets one item per pair of them
    (external id ``<prompt id>/r1-r2``, ...)."""
    if source_id == target_id:
        raise InvalidInput("prompts and comparisons belong in two different projects")
    target = authorize(session, actor, target_id, Permission.manage)
    ontology = ontology_of(target)
    _check_target(ontology, n_responses)
    split = bool(controls_of(ontology, "pairwise")) and n_responses > 2
    prompts = project_prompts(session, actor, source_id)
    done = set(
        session.scalars(
            select(Item.external_id).where(
                Item.project_id == target_id, Item.external_id.is_not(None)
            )
        )
    )
    # an import is atomic, so a prompt's first pair stands for all of them
    todo = [p for p in prompts if (_pair_key(p.id, 0, 1) if split else p.id) not in done]
    return GenerationPlan(source_id, target_id, todo, len(prompts) - len(todo), split)


def comparison_rows(
    prompts: Sequence[PromptItem],
    responses: Sequence[GeneratedResponse],
    *,
    shuffle: bool = True,
    seed: int = 0,
    show_models: bool = False,
    split_pairs: bool = False,
) -> list[ImportRow]:
    """One comparison item per prompt: ``{"prompt", "messages", "responses":
    [{"id", "text", "provenance"}], "prompt_id", "tags"}``. With ``shuffle`` the
    order of the responses (which one is "a") is drawn per prompt, so no model is
    always shown first. The model's name stays in ``provenance``; ``show_models``
    also copies it to the response's ``model``. Both are stored and exported but
    never shown to a rater (:func:`labelwell.work.policies.rater_data`), so
    judgments are blind (as in Chatbot Arena).
    With ``split_pairs`` every pair of a prompt's responses is an item of its own."""
    by_prompt: dict[str, list[GeneratedResponse]] = defaultdict(list)
    for r in responses:
        by_prompt[r.prompt_id].append(r)
    rng = np.random.default_rng(seed)
    rows: list[ImportRow] = []
    for p in prompts:
        got = sorted(by_prompt.get(p.id, []), key=lambda r: r.sample)
        if len(got) < 2:
            raise InvalidInput(f"prompt {p.id!r} has {len(got)} responses; 2 or more needed")
        shown: list[dict[str, Any]] = [
            {
                "id": f"r{r.sample + 1}",
                "text": r.text,
                "provenance": {**r.provenance, "sample": r.sample},
            }
            for r in got
        ]
        if show_models:
            for response in shown:
                response["model"] = str(response["provenance"].get("model") or "unknown")
        if split_pairs and len(shown) > 2:
            groups = [
                ([shown[i], shown[j]], _pair_key(p.id, i, j))
                for i, j in combinations(range(len(shown)), 2)
            ]
        else:
            groups = [(shown, p.id)]
        for group, key in groups:
            if shuffle:
                group = [group[j] for j in rng.permutation(len(group))]
            data = {**prompt_data(p), "responses": group, "prompt_id": p.id}
            rows.append(ImportRow(line=len(rows) + 1, data=data, external_id=key))
    return rows


def store_comparisons(
    session: Session,
    actor: Actor,
    plan: GenerationPlan,
    responses: Sequence[GeneratedResponse],
    *,
    shuffle: bool = True,
    seed: int = 0,
    show_models: bool = False,
) -> Import:
    """Write the plan's comparison items into its target project (one import)."""
    rows = comparison_rows(
        plan.prompts,
        responses,
        shuffle=shuffle,
        seed=seed,
        show_models=show_models,
        split_pairs=plan.split_pairs,
    )
    return items.import_rows(
        session, actor, plan.target_id, rows, filename=f"project-{plan.source_id}", fmt="generated"
    )
