"""The synthetic-data guards of a project: the report (distribution shift,
near duplicates, verbatim copies, verification, generations) and the training
export selection that enforces the project's ``synth_*`` settings.

The report's flags are stored on each :class:`~labelwell.store.tables.SyntheticItem`
(``flags.near_duplicate``, ``flags.verbatim``) and its summary in the audit log
(``synth.report``), where the training export reads the latest shift AUC.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from labelwell.errors import Conflict, InvalidInput
from labelwell.store.tables import AuditEntry, Item, SyntheticItem
from labelwell.synth import guards
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.project_settings import settings_of
from labelwell.work.published import published
from labelwell.work.synth import current_labels, text_of

Embed = Callable[[Sequence[str]], Any]
MAX_REPORT_ITEMS = 20_000
MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class Verification:
    """Human verdicts on synthetic items: ``verify_rate`` is the share of judged
    items found right as made, ``error_rate`` the share found wrong (fixed or
    rejected); ``pending`` are still waiting."""

    total: int
    verified: int
    fixed: int
    rejected: int

    @property
    def judged(self) -> int:
        return self.verified + self.fixed + self.rejected

    @property
    def pending(self) -> int:
        return self.total - self.judged

    @property
    def verify_rate(self) -> float | None:
        return self.verified / self.judged if self.judged else None

    @property
    def error_rate(self) -> float | None:
        return (self.fixed + self.rejected) / self.judged if self.judged else None


@dataclass(frozen=True, slots=True)
class Duplicate:
    item_id: int
    of_item_id: int
    similarity: float
    by: str  # minhash | cosine
    against: str  # synthetic | real


@dataclass(frozen=True, slots=True)
class Copy:
    item_id: int
    start: int
    end: int
    reference: int
    excerpt: str


@dataclass(slots=True)
class SynthReport:
    project_id: int
    n_real: int
    n_synthetic: int
    by_method: dict[str, int]
    by_generation: dict[int, int]
    verification: Verification
    shift: list[guards.Shift] = field(default_factory=list)
    plot_svg: str | None = None
    duplicates: list[Duplicate] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)


def _load(session: Session, project_id: int, limit: int) -> list[Any]:
    return list(
        session.execute(
            select(
                Item.id,
                Item.data,
                SyntheticItem.item_id.label("synthetic_id"),
                SyntheticItem.method,
                SyntheticItem.generation,
                SyntheticItem.verdict,
            )
            .outerjoin(SyntheticItem, SyntheticItem.item_id == Item.id)
            .where(Item.project_id == project_id, Item.is_gold.is_(False), published())
            .order_by(Item.id)
            .limit(limit + 1)
        )
    )


def report(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    embed: Embed | None = None,
    field: str = "text",
    label_control: str | None = None,
    references: Sequence[str] | None = None,
    min_chars: int = 50,
    minhash_threshold: float = 0.8,
    cosine_threshold: float = 0.95,
    n_permutations: int = 200,
    seed: int = 0,
) -> SynthReport:
    """Run every guard over the project's items, store the flags on the synthetic
    items and the summary in the audit log. Without ``embed`` the shift and the
    cosine duplicates are left out; without ``references`` the verbatim flags of
    the last report that had some are kept."""
    authorize(session, actor, project_id, Permission.manage)
    rows = _load(session, project_id, MAX_REPORT_ITEMS)
    if len(rows) > MAX_REPORT_ITEMS:
        raise InvalidInput(
            f"the report reads at most {MAX_REPORT_ITEMS} items; this project has more",
            field="project",
        )
    real = [r for r in rows if r.synthetic_id is None]
    synth = [r for r in rows if r.synthetic_id is not None]
    verdicts = Counter(r.verdict for r in synth)
    out = SynthReport(
        project_id,
        len(real),
        len(synth),
        dict(Counter(r.method for r in synth)),
        dict(sorted(Counter(int(r.generation) for r in synth).items())),
        Verification(len(synth), verdicts["verified"], verdicts["fixed"], verdicts["rejected"]),
    )
    real_texts = [text_of(r.data, field) for r in real]
    synth_texts = [text_of(r.data, field) for r in synth]
    dup: dict[int, Duplicate] = {}

    def flag(d: Duplicate) -> None:
        if d.item_id not in dup or dup[d.item_id].similarity < d.similarity:
            dup[d.item_id] = d

    for p in guards.minhash_duplicates(synth_texts, threshold=minhash_threshold):
        flag(Duplicate(synth[p.j].id, synth[p.i].id, p.similarity, "minhash", "synthetic"))
    if real_texts:
        for p in guards.minhash_duplicates(synth_texts, real_texts, threshold=minhash_threshold):
            flag(Duplicate(synth[p.i].id, real[p.j].id, p.similarity, "minhash", "real"))
    if embed is not None and synth:
        e_synth = np.asarray(embed(synth_texts), dtype=np.float64)
        e_real = np.asarray(embed(real_texts), dtype=np.float64) if real else None
        for p in guards.cosine_duplicates(e_synth, threshold=cosine_threshold):
            flag(Duplicate(synth[p.j].id, synth[p.i].id, p.similarity, "cosine", "synthetic"))
        if e_real is not None:
            for p in guards.cosine_duplicates(e_synth, e_real, threshold=cosine_threshold):
                flag(Duplicate(synth[p.i].id, real[p.j].id, p.similarity, "cosine", "real"))
        if e_real is not None and len(real) >= 2 and len(synth) >= 2:
            labels = current_labels(session, project_id, [r.id for r in rows], label_control)
            out.shift = guards.shift_by_label(
                e_real,
                [labels.get(r.id) for r in real],
                e_synth,
                [labels.get(r.id) for r in synth],
                n_permutations=n_permutations,
                seed=seed,
            )
            out.plot_svg = guards.shift_plot_svg(e_real, e_synth)
    out.duplicates = sorted(dup.values(), key=lambda d: d.item_id)
    if references is not None:
        index = guards.ReferenceIndex(list(references), min_chars)
        for r, text in zip(synth, synth_texts, strict=True):
            for o in index.overlaps(text, r.id):
                out.copies.append(Copy(r.id, o.start, o.end, o.reference, text[o.start : o.end]))
    _store_flags(session, project_id, out, replace_copies=references is not None)
    overall = out.shift[0] if out.shift else None
    audit.record(
        session,
        actor,
        "synth.report",
        project_id=project_id,
        details={
            "n_real": out.n_real,
            "n_synthetic": out.n_synthetic,
            "auc": overall.auc if overall else None,
            "p_value": overall.p_value if overall else None,
            "mmd2": overall.mmd2 if overall else None,
            "near_duplicates": len(out.duplicates),
            "verbatim": len(out.copies) if references is not None else None,
        },
    )
    return out


def _store_flags(session: Session, project_id: int, rep: SynthReport, replace_copies: bool) -> None:
    dups = {d.item_id: d for d in rep.duplicates}
    copies: dict[int, list[dict[str, Any]]] = {}
    for c in rep.copies:
        copies.setdefault(c.item_id, []).append(
            {"start": c.start, "end": c.end, "reference": c.reference}
        )
    for row in session.scalars(select(SyntheticItem).where(SyntheticItem.project_id == project_id)):
        flags = {k: v for k, v in (row.flags or {}).items() if k != "near_duplicate"}
        d = dups.get(row.item_id)
        if d is not None:
            flags["near_duplicate"] = {
                "of": d.of_item_id,
                "similarity": round(d.similarity, 4),
                "by": d.by,
                "against": d.against,
            }
        if replace_copies:
            flags.pop("verbatim", None)
            if row.item_id in copies:
                flags["verbatim"] = copies[row.item_id]
        if flags != (row.flags or {}):
            row.flags = flags
    session.flush()


# -- the training export -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrainingSelection:
    """Which items a training export takes: ``only`` are the conditions on
    items, ``excluded`` counts the synthetic items each guard left out."""

    only: list[ColumnElement[bool]]
    n_items: int
    n_synthetic: int
    excluded: dict[str, int]
    override_reason: str | None = None

    @property
    def synthetic_share(self) -> float:
        return self.n_synthetic / self.n_items if self.n_items else 0.0


def _latest_report(session: Session, project_id: int) -> dict[str, Any] | None:
    entry = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.project_id == project_id, AuditEntry.action == "synth.report")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    return dict(entry.details) if entry is not None else None


def training_selection(
    session: Session, actor: Actor, project_id: int, *, override_reason: str | None = None
) -> TrainingSelection:
    """The project's items a training export may take under its ``synth_*``
    settings: rejected synthetic items never; unverified ones, near duplicates and
    verbatim copies as the settings say; generations above the cap and a
    synthetic share above the cap only with ``override_reason`` (recorded in the
    audit log). A shift AUC above its cap, or no report when one is set, is a
    409 unless overridden."""
    project = authorize(session, actor, project_id, Permission.manage)
    st = settings_of(project)
    reason = (override_reason or "").strip() or None
    if reason is not None and len(reason) > MAX_REASON:
        raise InvalidInput(
            f"override_reason: at most {MAX_REASON} characters", field="override_reason"
        )
    rules: dict[str, ColumnElement[bool]] = {
        "rejected": SyntheticItem.verdict == "rejected",
    }
    if st.synth_require_verification:
        rules["unverified"] = SyntheticItem.verdict.is_(None)
    if reason is None:
        rules["generation"] = SyntheticItem.generation > st.synth_max_generation
    if st.synth_block_near_duplicates:
        rules["near_duplicate"] = SyntheticItem.flags["near_duplicate"].as_string().is_not(None)
    if st.synth_block_verbatim:
        rules["verbatim"] = SyntheticItem.flags["verbatim"].as_string().is_not(None)
    base = [Item.project_id == project_id, published()]
    excluded: dict[str, int] = {}
    for name, rule in rules.items():
        excluded[name] = int(
            session.scalar(
                select(func.count())
                .select_from(SyntheticItem)
                .join(Item, Item.id == SyntheticItem.item_id)
                .where(*base, rule)
            )
            or 0
        )
    blocked = exists().where(SyntheticItem.item_id == Item.id, or_(*rules.values()))
    only: list[ColumnElement[bool]] = [not_(blocked)]
    n_items = int(session.scalar(select(func.count()).select_from(Item).where(*base, *only)) or 0)
    n_synth = int(
        session.scalar(
            select(func.count())
            .select_from(Item)
            .where(*base, *only, exists().where(SyntheticItem.item_id == Item.id))
        )
        or 0
    )
    sel = TrainingSelection(only, n_items, n_synth, excluded, reason)
    problems = []
    if st.synth_max_share is not None and sel.synthetic_share > st.synth_max_share:
        problems.append(
            f"synthetic share {sel.synthetic_share:.3f} is above settings.synth_max_share "
            f"{st.synth_max_share}"
        )
    if st.synth_max_shift_auc is not None and n_synth:
        last = _latest_report(session, project_id)
        auc = (last or {}).get("auc")
        if auc is None:
            problems.append(
                "settings.synth_max_shift_auc is set and no synthetic report with a shift AUC "
                "exists (run the synth report)"
            )
        elif auc > st.synth_max_shift_auc:
            problems.append(
                f"the last report's classifier AUC {auc:.3f} is above "
                f"settings.synth_max_shift_auc {st.synth_max_shift_auc}"
            )
    if problems and reason is None:
        raise Conflict("; ".join(problems) + "; give override_reason to export anyway")
    if reason is not None:
        audit.record(
            session,
            actor,
            "synth.export.override",
            project_id=project_id,
            details={
                "reason": reason,
                "synthetic_share": round(sel.synthetic_share, 4),
                "max_generation": st.synth_max_generation,
                "overridden": problems,
            },
        )
    return sel


# -- the summary the synthetic-data page shows ----------------------------------

#: the project settings that cap what a training export takes
CAP_SETTINGS = (
    "synth_require_verification",
    "synth_max_generation",
    "synth_max_share",
    "synth_max_shift_auc",
    "synth_block_near_duplicates",
    "synth_block_verbatim",
)


@dataclass(frozen=True, slots=True)
class Override:
    """A training export past a cap, as the audit log recorded it."""

    at: Any
    by: str
    reason: str
    synthetic_share: float | None
    overridden: list[str]


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What the stored state says without running a guard: verdicts, methods,
    generations, the flags of the last report, its shift summary (``last_report``:
    the audit entry's details with ``at``), the caps and the overrides."""

    n_synthetic: int
    by_method: dict[str, int]
    by_generation: dict[int, int]
    verification: Verification
    near_duplicates: int
    verbatim: int
    last_report: dict[str, Any] | None
    caps: dict[str, Any]
    overrides: list[Override]


def summary(
    session: Session, actor: Actor, project_id: int, *, max_overrides: int = 20
) -> SynthSummary:
    """The project's synthetic data as stored (read only; :func:`report` runs the guards)."""
    project = authorize(session, actor, project_id, Permission.manage)
    rows = session.execute(
        select(
            SyntheticItem.method,
            SyntheticItem.generation,
            SyntheticItem.verdict,
            func.count(),
            func.count(SyntheticItem.flags["near_duplicate"].as_string()),
            func.count(SyntheticItem.flags["verbatim"].as_string()),
        )
        .join(Item, Item.id == SyntheticItem.item_id)
        .where(SyntheticItem.project_id == project_id, published())
        .group_by(SyntheticItem.method, SyntheticItem.generation, SyntheticItem.verdict)
    ).all()
    by_method: Counter[str] = Counter()
    by_generation: Counter[int] = Counter()
    verdicts: Counter[str | None] = Counter()
    dups = copies = 0
    for method, generation, verdict, n, n_dup, n_copy in rows:
        by_method[method] += n
        by_generation[int(generation)] += n
        verdicts[verdict] += n
        dups, copies = dups + n_dup, copies + n_copy
    total = sum(verdicts.values())
    last = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.project_id == project_id, AuditEntry.action == "synth.report")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.project_id == project_id, AuditEntry.action == "synth.export.override")
        .order_by(AuditEntry.id.desc())
        .limit(max_overrides)
    )
    st = settings_of(project)
    return SynthSummary(
        total,
        dict(by_method),
        dict(sorted(by_generation.items())),
        Verification(total, verdicts["verified"], verdicts["fixed"], verdicts["rejected"]),
        dups,
        copies,
        {**last.details, "at": last.at} if last is not None else None,
        {name: getattr(st, name) for name in CAP_SETTINGS},
        [
            Override(
                e.at,
                e.actor,
                str(e.details.get("reason", "")),
                e.details.get("synthetic_share"),
                list(e.details.get("overridden") or []),
            )
            for e in entries
        ],
    )


def generation_counts(session: Session, project_id: int) -> dict[int, int]:
    rows = session.execute(
        select(SyntheticItem.generation, func.count())
        .where(SyntheticItem.project_id == project_id)
        .group_by(SyntheticItem.generation)
    )
    return {int(g): int(n) for g, n in rows}


__all__ = [
    "Copy",
    "Duplicate",
    "Override",
    "SynthReport",
    "SynthSummary",
    "TrainingSelection",
    "Verification",
    "generation_counts",
    "report",
    "summary",
    "training_selection",
]
