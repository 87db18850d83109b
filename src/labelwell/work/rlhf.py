"""Preference work inside projects: prompts in, generated comparisons out, and a
leaderboard of the models that wrote the responses.

* Prompt items: ``{"prompt": str, "messages": [...], "tags": {...}}`` with the
  prompt id as external id; ``prompt`` is the flattened text the web workspace
  shows, ``messages`` keeps a multi-turn prompt whole.
* Generation is split so no transaction stays open while a model answers:
  :func:`plan_generation` (read the pending prompts), the caller runs a
  :class:`~labelwell.rlhf.generate.Generator`, then :func:`store_comparisons`
  writes one comparison item per prompt into the target project. Prompts that
  already have an item there are skipped, so a rerun resumes; the generator's
  checkpoint resumes inside a run.
* The leaderboard counts every annotator's judgment as one battle between the
  models of the two responses (Chiang et al. 2024, "Chatbot Arena", sec. 4).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput
from labelwell.formats.registry import ImportRow
from labelwell.formats.trl import PREFERENCE_TYPES, controls_of, record_comparisons
from labelwell.rlhf.generate import GeneratedResponse, PromptRequest
from labelwell.rlhf.imports import SHAREGPT_ROLES
from labelwell.rlhf.prompts import TAGS, DiversityReport, diversity_report, read_prompts
from labelwell.rlhf.records import PromptItem, as_messages, prompt_text
from labelwell.store.tables import Import, Item
from labelwell.work import items
from labelwell.work.actors import Actor
from labelwell.work.export import ExportFilter, iter_records
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

# -- prompts ------------------------------------------------------------------------


def _sharegpt_records(path: Path) -> list[Any] | None:
    """The records of a ShareGPT file (``{"conversations": [{"from", "value"}]}``),
    or ``None`` when the file is not ShareGPT."""
    if path.suffix.lower() == ".csv":
        return None
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
        records = data if isinstance(data, list) else [data]
    except json.JSONDecodeError:
        try:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            return None
    first = records[0] if records else None
    return records if isinstance(first, dict) and "conversations" in first else None


def _sharegpt_prompt(i: int, rec: Any) -> PromptItem:
    where = f"record {i}"
    turns = rec.get("conversations") if isinstance(rec, dict) else None
    if not isinstance(turns, list) or not turns:
        raise InvalidInput(f"{where}: 'conversations' must be a non-empty list", line=i + 1)
    messages = []
    for j, t in enumerate(turns):
        role = SHAREGPT_ROLES.get(t.get("from")) if isinstance(t, dict) else None
        if role is None or not isinstance(t.get("value"), str):
            raise InvalidInput(
                f"{where}: turn {j} needs 'from' (human, gpt, system) and a string 'value'",
                line=i + 1,
                field=f"conversations[{j}]",
            )
        messages.append({"role": role, "content": t["value"]})
    while messages and messages[-1]["role"] == "assistant":
        messages.pop()  # the prompt is the conversation up to the last user turn
    if not messages:
        raise InvalidInput(f"{where}: no user turn", line=i + 1)
    tags = dict(rec.get("tags") or {})
    tags.update({t: rec[t] for t in TAGS if rec.get(t) not in (None, "")})
    return PromptItem(str(rec.get("id", i)), as_messages(messages), [], tags)


def read_prompt_file(path: str | Path) -> list[PromptItem]:
    """Prompts from JSONL, JSON, CSV (:func:`labelwell.rlhf.prompts.read_prompts`)
    or ShareGPT conversations (the turns before the last answer are the prompt)."""
    p = Path(path)
    records = _sharegpt_records(p)
    if records is None:
        return read_prompts(p)
    prompts = [_sharegpt_prompt(i, rec) for i, rec in enumerate(records)]
    if len({q.id for q in prompts}) != len(prompts):
        raise InvalidInput(f"{p.name}: prompt ids repeat", field="id")
    return prompts


def prompt_data(prompt: PromptItem) -> dict[str, Any]:
    """The item data of a prompt."""
    tags = {
        k: v if isinstance(v, str | int | float | bool) else str(v) for k, v in prompt.tags.items()
    }
    return {"prompt": prompt_text(prompt.prompt), "messages": prompt.prompt, "tags": tags}


def import_prompts(
    session: Session,
    actor: Actor,
    project_id: int,
    prompts: Sequence[PromptItem],
    *,
    filename: str = "",
) -> Import:
    """Store prompts as items (the prompt id as external id) in one import."""
    rows = [
        ImportRow(line=i + 1, data=prompt_data(p), external_id=p.id) for i, p in enumerate(prompts)
    ]
    return items.import_rows(session, actor, project_id, rows, filename=filename, fmt="prompts")


def project_prompts(session: Session, actor: Actor, project_id: int) -> list[PromptItem]:
    """A project's items as prompts (``messages`` or ``prompt`` of the data), in id order."""
    authorize(session, actor, project_id, Permission.manage)
    rows = session.execute(
        select(Item.id, Item.external_id, Item.data)
        .where(Item.project_id == project_id)
        .order_by(Item.id)
    )
    out = []
    for item_id, external_id, data in rows:
        prompt = data.get("messages") or data.get("prompt")
        if not isinstance(prompt, str | list) or not prompt:
            raise InvalidInput(f"item {item_id} has no 'prompt' or 'messages'", field="prompt")
        tags = data.get("tags") if isinstance(data.get("tags"), dict) else {}
        out.append(PromptItem(external_id or str(item_id), as_messages(prompt), [], dict(tags)))
    return out


def prompts_report(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    targets: Mapping[str, Mapping[str, float]] | None = None,
    embed: Any = None,
    threshold: float = 0.9,
) -> DiversityReport:
    """The diversity report of a project's prompts; ``targets`` default to the
    project's ``settings["prompt_targets"]`` (``{tag: {value: share}}``)."""
    project = authorize(session, actor, project_id, Permission.manage)
    if targets is None:
        targets = (project.settings or {}).get("prompt_targets")
    prompts = project_prompts(session, actor, project_id)
    return diversity_report(prompts, targets=targets, embed=embed, threshold=threshold)


# -- generation ---------------------------------------------------------------------


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
    always shown first. The model's name stays in ``provenance`` only, which the
    workspace does not show, so judgments are blind (as in Chatbot Arena);
    ``show_models`` adds it as the response's ``model``, which the workspace shows.
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
            for r in shown:
                r["model"] = str(r["provenance"].get("model") or "unknown")
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


# -- leaderboard --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    rank: int
    model: str
    rating: float
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True, slots=True)
class Leaderboard:
    rows: list[LeaderboardRow]
    n_battles: int
    n_models: int


def response_model(response: Mapping[str, Any]) -> str | None:
    """The model that wrote a response: its ``model``, else its provenance's."""
    provenance = response.get("provenance")
    model = response.get("model") or (
        provenance.get("model") if isinstance(provenance, Mapping) else None
    )
    return str(model) if model else None


def project_battles(session: Session, actor: Actor, project_id: int) -> Any:
    """Every human judgment of a preference project as a battle row (``model_a,
    model_b, winner``); rankings count as all their pairs. Responses name their
    model in ``model`` or ``provenance.model``."""
    from labelwell.rlhf.bradley_terry import battles_from_comparisons

    project = authorize(session, actor, project_id, Permission.manage)
    ontology = ontology_of(project)
    if not any(controls_of(ontology, k) for k in PREFERENCE_TYPES):
        raise InvalidInput("a leaderboard needs a project with a pairwise or ranking control")
    comparisons, model_of = [], {}
    for record in iter_records(session, project_id, ExportFilter(labels="raw")):
        found = record_comparisons(record, ontology)
        if not found:
            continue
        for r in record.data.get("responses", []):
            model = response_model(r)
            if model:
                model_of[(str(record.item_id), str(r["id"]))] = model
        comparisons += found
    return battles_from_comparisons(comparisons, model_of)


def project_leaderboard(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    bootstrap: int = 100,
    seed: int = 0,
    l2: float = 0.0,
) -> Leaderboard:
    """Bradley-Terry ratings (Arena recipe) of the models in a project's comparisons."""
    from labelwell.rlhf.bradley_terry import BradleyTerry

    battles = project_battles(session, actor, project_id)
    if battles.empty:
        raise InvalidInput("no judgments between responses of different models in this project yet")
    fitted = BradleyTerry(n_bootstrap=bootstrap, random_state=seed, l2=l2).fit(battles)
    rows = [
        LeaderboardRow(
            int(r.rank),
            str(r.model),
            float(r.rating),
            None if bootstrap == 0 else float(r.ci_low),
            None if bootstrap == 0 else float(r.ci_high),
        )
        for r in fitted.leaderboard().itertuples(index=False)
    ]
    return Leaderboard(rows, int(fitted.n_battles_), len(rows))
