"""The generation methods over any :class:`~labelwell.rlhf.generate.Generator`
(an OpenAI-compatible server through
:class:`~labelwell.rlhf.generate.OpenAIChatGenerator`, with its retries,
concurrency limit and checkpoint, or a local transformers model). Every request
has a stable id built from the run's seed, so a rerun with the same checkpoint
resumes where the last one stopped.

Each function returns every candidate, kept or not, so a report can say how many
each filter removed; :attr:`Candidate.kept` tells which to store.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from labelwell.errors import InvalidInput
from labelwell.rlhf.generate import GeneratedResponse, Generator, PromptRequest
from labelwell.synth import filters, prompts
from labelwell.synth.records import Candidate, Provenance, SeedItem, generation_of
from labelwell.synth.rouge import lcs_length, rouge_l, tokens


@dataclass(slots=True)
class Run:
    """The candidates of one run and the number of requests it made."""

    candidates: list[Candidate] = field(default_factory=list)
    requests: int = 0

    @property
    def kept(self) -> list[Candidate]:
        return [c for c in self.candidates if c.kept]

    def rejected_by(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in self.candidates:
            if c.rejected:
                counts[c.rejected] = counts.get(c.rejected, 0) + 1
        return counts


def _model(response: GeneratedResponse, generator: Generator) -> str:
    return str(response.provenance.get("model") or getattr(generator, "model", None) or "unknown")


def _ask(generator: Generator, requests: list[PromptRequest], run: Run) -> list[GeneratedResponse]:
    run.requests += len(requests)
    return generator.generate(requests) if requests else []


def _need_seeds(seeds: Sequence[SeedItem], what: str) -> None:
    if not seeds:
        raise InvalidInput(f"{what} needs at least one seed item", field="seeds")


def self_instruct(
    generator: Generator,
    seeds: Sequence[SeedItem],
    *,
    n_instructions: int,
    n_human: int = 6,
    n_machine: int = 2,
    batch: int = 8,
    max_rounds: int = 20,
    threshold: float = filters.ROUGE_L_MAX,
    seed: int = 0,
) -> Run:
    """Self-Instruct (Wang et al. 2023, section 2): each prompt shows ``n_human``
    seed tasks and ``n_machine`` tasks made earlier in the run (6 + 2 in the
    paper), the model continues the list, and new instructions pass the
    heuristic filters and the ROUGE-L novelty filter against the whole pool.
    A run is one generation: an instruction's generation is one more than that
    of the seed items it descends from (through the machine examples too)."""
    _need_seeds(seeds, "self-instruct")
    if n_instructions < 1:
        raise InvalidInput("n_instructions must be at least 1", field="n_instructions")
    rng = random.Random(seed)
    version = prompts.PROMPT_VERSIONS["self-instruct"]
    pool = [s.text for s in seeds]
    machine: list[tuple[str, tuple[SeedItem, ...]]] = []
    run = Run()
    for r in range(max_rounds):
        if len(run.kept) >= n_instructions:
            break
        plans = []
        for k in range(batch):
            humans = rng.sample(list(seeds), min(n_human, len(seeds)))
            extra = rng.sample(machine, min(n_machine, len(machine)))
            examples = [h.text for h in humans] + [text for text, _ in extra]
            rng.shuffle(examples)
            origin = {s.id: s for s in humans}
            for _, parents in extra:
                origin.update({s.id: s for s in parents})
            plans.append((f"self-instruct:{seed}:{r}:{k}", examples, tuple(origin.values())))
        requests = [PromptRequest.of(pid, prompts.self_instruct_prompt(ex)) for pid, ex, _ in plans]
        responses = _ask(generator, requests, run)
        parents_of = {pid: parents for pid, _, parents in plans}
        for resp in responses:
            parents = parents_of[resp.prompt_id]
            for instruction in prompts.parse_self_instruct(resp.text):
                rule = filters.self_instruct_heuristics(instruction) or filters.novelty(
                    instruction, pool, threshold=threshold
                )
                prov = Provenance(
                    "self-instruct",
                    _model(resp, generator),
                    version,
                    tuple(sorted(s.id for s in parents)),
                    generation_of(parents),
                )
                run.candidates.append(Candidate({"instruction": instruction}, prov, rule))
                if rule is None:
                    pool.append(instruction)
                    machine.append((instruction, parents))
                    if len(run.kept) >= n_instructions:
                        break
            if len(run.kept) >= n_instructions:
                break
    return run


def evol_instruct(
    generator: Generator,
    seeds: Sequence[SeedItem],
    *,
    epochs: int = 1,
    evolutions: Sequence[str] = prompts.EVOLUTIONS,
    check_equal: bool = True,
    seed: int = 0,
) -> Run:
    """Evol-Instruct (Xu et al. 2023, section 3): each epoch evolves every
    instruction of the population with one evolution drawn at random (the five
    in-depth methods and in-breadth mutation), asks the model to answer it and,
    with ``check_equal``, whether it equals its parent; the elimination rules
    (:func:`~labelwell.synth.filters.evol_elimination`) drop failures, whose
    parent stays in the population for the next epoch (as in the paper).
    An evolution of an evolved instruction is one generation further."""
    _need_seeds(seeds, "evol-instruct")
    unknown = [e for e in evolutions if e not in prompts.EVOLUTIONS]
    if unknown or not evolutions:
        raise InvalidInput(
            f"evolutions: unknown {unknown[0] if unknown else '(none given)'}; "
            f"known: {', '.join(prompts.EVOLUTIONS)}",
            field="evolutions",
        )
    rng = random.Random(seed)
    version = prompts.PROMPT_VERSIONS["evol-instruct"]
    population = list(seeds)
    run = Run()
    for epoch in range(epochs):
        picks = [(s, rng.choice(list(evolutions))) for s in population]
        ids = [f"evol:{seed}:{epoch}:{i}" for i in range(len(picks))]
        evolved = _ask(
            generator,
            [
                PromptRequest.of(pid, prompts.evol_prompt(e, s.text))
                for pid, (s, e) in zip(ids, picks, strict=True)
            ],
            run,
        )
        texts = {r.prompt_id: r.text.strip() for r in evolved if r.sample == 0}
        follow = []
        for pid in ids:
            follow.append(PromptRequest.of(pid + ":answer", texts[pid] or "."))
        if check_equal:
            for pid, (s, _) in zip(ids, picks, strict=True):
                follow.append(
                    PromptRequest.of(
                        pid + ":equal",
                        prompts.EQUAL_PROMPT.format(first=s.text, second=texts[pid]),
                    )
                )
        answers = {r.prompt_id: r.text for r in _ask(generator, follow, run) if r.sample == 0}
        model = {r.prompt_id: _model(r, generator) for r in evolved}
        next_population = []
        for pid, (parent, evolution) in zip(ids, picks, strict=True):
            response = answers[pid + ":answer"]
            rule = filters.evol_elimination(
                parent.text, texts[pid], response, equal_verdict=answers.get(pid + ":equal")
            )
            prov = Provenance(
                "evol-instruct",
                model[pid],
                version,
                (parent.id,),
                generation_of((parent,)),
                {"evolution": evolution, "epoch": epoch},
            )
            cand = Candidate(
                {"instruction": texts[pid], "response": response, "evolution": evolution},
                prov,
                rule,
            )
            run.candidates.append(cand)
            if rule is None:
                next_population.append(
                    SeedItem(f"{parent.id}>{evolution}", texts[pid], parent.label, prov.generation)
                )
            else:
                next_population.append(parent)
        population = next_population
    return run


def chunks(text: str, *, size: int = 1200, overlap: int = 150) -> list[str]:
    """``text`` cut into pieces of at most ``size`` characters at whitespace,
    each starting ``overlap`` characters before the last one ended."""
    if size < 50 or not 0 <= overlap < size // 2:
        raise InvalidInput("chunk size must be >= 50 and overlap under half of it", field="size")
    text = re.sub(r"[ \t]+", " ", text).strip()
    out: list[str] = []
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > 0 else end
        out.append(text[start:end].strip())
        if end >= len(text):
            break
        nxt = text.find(" ", max(start + 1, end - overlap), end)
        start = nxt + 1 if nxt > 0 else end
    return [c for c in out if c]


GROUNDED_MIN = 0.8


def grounding(answer: str, chunk: str) -> float:
    """The share of the answer's tokens found, in order, in the chunk (the
    ROUGE-L recall of the answer against its passage): 1.0 for a copied span."""
    ans = tokens(answer)
    return lcs_length(ans, tokens(chunk)) / len(ans) if ans else 0.0


def qa_pairs(
    generator: Generator,
    documents: Sequence[SeedItem],
    *,
    chunk_size: int = 1200,
    overlap: int = 150,
    min_grounding: float = GROUNDED_MIN,
) -> Run:
    """One question and answer per chunk of each document; a pair is kept when
    the answer is grounded in its chunk (:func:`grounding` >= ``min_grounding``)."""
    _need_seeds(documents, "qa")
    version = prompts.PROMPT_VERSIONS["qa"]
    plans = {}
    for doc in documents:
        for i, piece in enumerate(chunks(doc.text, size=chunk_size, overlap=overlap)):
            plans[f"qa:{doc.id}:{i}"] = (doc, i, piece)
    run = Run()
    reqs = [PromptRequest.of(pid, prompts.qa_prompt(piece)) for pid, (_, _, piece) in plans.items()]
    for resp in _ask(generator, reqs, run):
        doc, i, piece = plans[resp.prompt_id]
        parsed = prompts.parse_qa(resp.text)
        question, answer = parsed or ("", "")
        score = grounding(answer, piece) if parsed else 0.0
        rule = None
        if parsed is None:
            rule = "unparsed"
        elif score < min_grounding:
            rule = "ungrounded"
        prov = Provenance(
            "qa",
            _model(resp, generator),
            version,
            (doc.id,),
            generation_of((doc,)),
            {"chunk": i, "grounding": round(score, 4)},
        )
        fields = {"question": question, "answer": answer, "context": piece}
        run.candidates.append(Candidate(fields, prov, rule))
    return run


PARAPHRASE_MIN_ROUGE = 0.2


def paraphrases(
    generator: Generator,
    items: Sequence[SeedItem],
    *,
    min_rouge: float = PARAPHRASE_MIN_ROUGE,
) -> Run:
    """A paraphrase of each labeled text, keeping its label. Dropped: empty,
    unchanged (the same words), drifted (ROUGE-L with the original under
    ``min_rouge``: a text sharing almost no words is rarely the same meaning),
    and duplicates of one already made."""
    _need_seeds(items, "paraphrase")
    unlabeled = [s.id for s in items if s.label is None]
    if unlabeled:
        raise InvalidInput(
            f"paraphrase keeps each item's label; item {unlabeled[0]} has none", field="seeds"
        )
    version = prompts.PROMPT_VERSIONS["paraphrase"]
    by_id = {f"paraphrase:{s.id}": s for s in items}
    reqs = [PromptRequest.of(pid, prompts.paraphrase_prompt(s.text)) for pid, s in by_id.items()]
    run = Run()
    seen: set[str] = set()
    for resp in _ask(generator, reqs, run):
        src = by_id[resp.prompt_id]
        text = resp.text.strip()
        norm = " ".join(tokens(text))
        rule = None
        if not norm:
            rule = "empty"
        elif norm == " ".join(tokens(src.text)):
            rule = "unchanged"
        elif rouge_l(src.text, text) < min_rouge:
            rule = "drifted"
        elif norm in seen:
            rule = "duplicate"
        seen.add(norm)
        prov = Provenance(
            "paraphrase", _model(resp, generator), version, (src.id,), generation_of((src,))
        )
        run.candidates.append(Candidate({"text": text, "label": src.label}, prov, rule))
    return run
