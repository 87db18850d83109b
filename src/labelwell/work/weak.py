"""Labeling functions and the label model inside a live project.

LF code runs where this module is called (the CLI, the SDK user's process, or
a Dask cluster), never in the web server. Votes are stored as predictions with
provenance: ``source="labeling_function"``, ``model_name`` the LF's name,
``model_version`` its version hash, and ``result`` in the ontology's format for
the project's ``choice`` control (class ``c`` -> ``options[c]``); abstains store
nothing. Re-applying an LF replaces its earlier votes on the same items.

The label model (:class:`labelwell.weak.LabelModel`) is fitted on the stored
votes and its output stored as predictions ``model_name="label_model"`` with
the top-class probability as ``score``. Routing by that confidence uses
:func:`labelwell.assist.routing.route` (auto-approve >= 0.85, review >= 0.5,
label below, 5% spot checks) as pre-labels are routed
(:mod:`labelwell.work.assist.routing`), on the items no person has touched
(not gold, open, no lease, no label):

* ``auto_approve``: the weak label becomes the item's label, an accepted
  annotation ``source="labeling_function"``, ``agent="label_model@<version>"``
  (details ``weak_label``, ``score``, ``threshold``), and the item is done;
* ``review`` (and the spot checks): the item stays for annotators, with the weak
  label shown as a suggestion; priority 0;
* ``label``: priority 1, so the queue offers these items first.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from labelwell.errors import InvalidInput, NotFound
from labelwell.schema.ontology import Ontology
from labelwell.store.db import Database
from labelwell.store.tables import Annotation, GoldAnswer, Item, Prediction, Project, utcnow
from labelwell.weak import LabelingFunction, LabelModel, LFAnalysis, LFApplier
from labelwell.weak.apply import LabelMatrix
from labelwell.work import audit
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize
from labelwell.work.projects import ontology_of

if TYPE_CHECKING:
    from labelwell.assist.routing import RoutingPolicy

SOURCE = "labeling_function"
LABEL_MODEL = "label_model"
#: Item priority per route: the queue offers higher priorities first.
ROUTE_PRIORITY = {"label": 1.0, "review": 0.0}


# ------------------------------------------------------------------ LFs and classes
def load_labeling_functions(path: str | Path) -> list[LabelingFunction]:
    """Every object made by ``@labeling_function`` in the Python file ``path``.

    The module is not left in ``sys.modules``, so Dask pickles the LFs by value
    and workers need no copy of the file."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"no labeling-function file at {path}")
    name = f"labelwell_lfs_{uuid.uuid4().hex[:8]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise InvalidInput(f"{path.name}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    lfs = [v for v in vars(module).values() if isinstance(v, LabelingFunction)]
    if not lfs:
        raise InvalidInput(f"{path.name}: no @labeling_function in it")
    return lfs


def choice_control(ontology: Ontology, control: str | None = None) -> tuple[str, list[str]]:
    """The ``choice`` control LF votes are about, and its options (class index order)."""
    if control is not None:
        found = ontology.control(control)
        if found.type != "choice":
            raise InvalidInput(f"control {control!r} is a {found.type}, not a choice")
        return found.name, found.label_names()
    choices = [c for c in ontology.controls if c.type == "choice"]
    if len(choices) != 1:
        names = ", ".join(c.name for c in choices) or "none"
        raise InvalidInput(f"name the choice control with --control (choice controls: {names})")
    return choices[0].name, choices[0].label_names()


# ------------------------------------------------------------------------- apply
def read_items(
    session: Session, actor: Actor, project_id: int, *, after: int = 0, limit: int = 5_000
) -> tuple[list[int], list[dict[str, Any]]]:
    """The next ``limit`` items after id ``after``: their ids and data, in id order."""
    authorize(session, actor, project_id, Permission.manage)
    rows = session.execute(
        select(Item.id, Item.data)
        .where(Item.project_id == project_id, Item.id > after)
        .order_by(Item.id)
        .limit(limit)
    ).all()
    return [r.id for r in rows], [r.data for r in rows]


def vote_predictions(
    item_ids: Sequence[int], matrix: LabelMatrix, control: str, options: Sequence[str]
) -> list[dict[str, Any]]:
    """The non-abstain votes of ``matrix`` (rows = ``item_ids``) as prediction records
    (``labels.add_predictions`` or ``Client.add_predictions``): class ``c`` of LF ``j``
    becomes ``{control: options[c]}`` with the LF's name and version."""
    L = np.asarray(matrix.L)
    if L.shape != (len(item_ids), len(matrix.lf_names)):
        raise InvalidInput(f"votes of shape {L.shape} for {len(item_ids)} items")
    if L.size and int(L.max()) >= len(options):
        j = int(np.argmax(L.max(axis=0)))
        raise InvalidInput(
            f"labeling function {matrix.lf_names[j]!r} voted {int(L[:, j].max())}; "
            f"{control!r} has classes 0..{len(options) - 1} ({', '.join(options)})"
        )
    results = [{control: o} for o in options]
    out: list[dict[str, Any]] = []
    for j, (lf, version) in enumerate(zip(matrix.lf_names, matrix.lf_versions, strict=True)):
        out += [
            {
                "item_id": int(item_ids[i]),
                "source": SOURCE,
                "model_name": lf,
                "model_version": version,
                "result": results[int(L[i, j])],
            }
            for i in np.flatnonzero(L[:, j] >= 0)
        ]
    return out


def store_votes(
    session: Session,
    actor: Actor,
    project_id: int,
    item_ids: Sequence[int],
    matrix: LabelMatrix,
    *,
    control: str | None = None,
) -> int:
    """Store the non-abstain votes of ``matrix`` (rows = ``item_ids``), replacing the
    same LFs' earlier votes on these items. Returns the number of votes stored."""
    project = authorize(session, actor, project_id, Permission.manage)
    name, options = choice_control(ontology_of(project), control)
    rows = vote_predictions(item_ids, matrix, name, options)
    wanted = {int(i) for i in item_ids}
    if not wanted:
        return 0
    # A chunk read by ``read_items`` is every project item of an id range: then
    # the range says which votes to replace, without a long IN list.
    low, high = min(wanted), max(wanted)
    found = set(
        session.scalars(
            select(Item.id).where(Item.project_id == project_id, Item.id.between(low, high))
        )
    )
    if not wanted <= found:
        raise NotFound(f"items {sorted(wanted - found)[:5]} are not in project {project_id}")
    session.execute(
        delete(Prediction).where(
            Prediction.project_id == project_id,
            Prediction.source == SOURCE,
            Prediction.model_name.in_(matrix.lf_names),
            Prediction.item_id.between(low, high),
            *(() if found == wanted else (Prediction.item_id.in_(sorted(wanted)),)),
        )
    )
    now = utcnow()
    for row in rows:
        row.update(project_id=project_id, score=None, created_at=now)
    if rows:
        session.execute(insert(Prediction.__table__), rows)
    return len(rows)


@dataclass(frozen=True)
class ApplyResult:
    n_items: int
    n_votes: int
    lf_names: list[str]
    lf_versions: list[str]


def apply_lfs(
    db: Database,
    actor: Actor,
    project_id: int,
    lfs: Sequence[LabelingFunction],
    *,
    control: str | None = None,
    client: Any = None,
    chunk: int = 5_000,
    progress: bool = False,
) -> ApplyResult:
    """Apply ``lfs`` to every item of the project, ``chunk`` items at a time (on the
    Dask ``client`` when given), committing each chunk's votes in its own short
    transaction, so a long LF run never holds the database's write lock."""
    applier = LFApplier(lfs)
    executor = "dask" if client is not None else "inprocess"
    batch_size = max(1, chunk // 8) if client is not None else chunk
    after, n_items, n_votes = 0, 0, 0
    while True:
        with db.read_session() as s:
            ids, data = read_items(s, actor, project_id, after=after, limit=chunk)
        if not ids:
            break
        matrix = applier.apply(
            data, executor=executor, client=client, batch_size=batch_size, progress=progress
        )
        with db.session() as s:
            n_votes += store_votes(s, actor, project_id, ids, matrix, control=control)
        after, n_items = ids[-1], n_items + len(ids)
    with db.session() as s:
        audit.record(
            s,
            actor,
            "weak.apply",
            project_id=project_id,
            details={"lfs": {lf.name: lf.version for lf in lfs}, "votes": n_votes},
        )
    return ApplyResult(n_items, n_votes, [lf.name for lf in lfs], [lf.version for lf in lfs])


# ---------------------------------------------------------------- stored votes
@dataclass(frozen=True)
class StoredVotes:
    """The label matrix of a project's stored LF votes: rows = ``item_ids`` (every
    item, id order), columns = ``lf_names`` (at their latest ``lf_versions``)."""

    item_ids: np.ndarray
    L: np.ndarray
    lf_names: list[str]
    lf_versions: list[str]
    control: str
    options: list[str]


def _class_of(result: Any, control: str, index: dict[str, int]) -> int:
    value = result.get(control) if isinstance(result, dict) else None
    return index.get(value, -1) if isinstance(value, str) else -1


def stored_votes(session: Session, project: Project, control: str | None = None) -> StoredVotes:
    """Build ``L`` from the predictions ``source="labeling_function"`` (label model excepted)."""
    name, options = choice_control(ontology_of(project), control)
    index = {o: c for c, o in enumerate(options)}
    item_ids = np.fromiter(
        session.scalars(select(Item.id).where(Item.project_id == project.id).order_by(Item.id)),
        dtype=np.int64,
    )
    query = (
        select(
            Prediction.item_id, Prediction.model_name, Prediction.model_version, Prediction.result
        )
        .where(
            Prediction.project_id == project.id,
            Prediction.source == SOURCE,
            Prediction.model_name != LABEL_MODEL,
        )
        .order_by(Prediction.id)
        .execution_options(yield_per=20_000)
    )
    columns: dict[str, int] = {}
    versions: dict[str, str] = {}
    rows: list[int] = []
    cols: list[int] = []
    votes: list[int] = []
    for p in session.execute(query):
        j = columns.setdefault(p.model_name, len(columns))
        versions[p.model_name] = p.model_version
        rows.append(p.item_id)
        cols.append(j)
        votes.append(_class_of(p.result, name, index))
    L = np.full(
        (item_ids.shape[0], len(columns)), -1, dtype=np.int8 if len(options) < 127 else np.int32
    )
    if rows:
        r = np.searchsorted(item_ids, np.asarray(rows, dtype=np.int64))
        c = np.asarray(cols, dtype=np.int64)
        # one vote per (item, LF): the latest prediction, should an earlier one remain
        _, last = np.unique((r * len(columns) + c)[::-1], return_index=True)
        keep = len(rows) - 1 - last
        L[r[keep], c[keep]] = np.asarray(votes)[keep]
    return StoredVotes(item_ids, L, list(columns), [versions[n] for n in columns], name, options)


def reference_labels(
    session: Session, project: Project, votes: StoredVotes
) -> tuple[np.ndarray, dict[str, int]]:
    """Per item the best label people gave: gold, else the current consensus, else
    the most common current human label (a tie gives -1 = unknown). Also the
    number of items labeled from each source."""
    index = {o: c for c, o in enumerate(votes.options)}
    pos = {int(i): r for r, i in enumerate(votes.item_ids)}
    Y = np.full(votes.item_ids.shape[0], -1, dtype=np.int64)
    source = np.full(votes.item_ids.shape[0], "", dtype=object)
    humans: dict[int, Counter[int]] = {}
    for a in session.execute(
        select(Annotation.item_id, Annotation.source, Annotation.result)
        .where(
            Annotation.project_id == project.id,
            Annotation.is_current.is_(True),
            Annotation.source.in_(("human", "consensus")),
            Annotation.status != "rejected",
        )
        .order_by(Annotation.id)
        .execution_options(yield_per=20_000)
    ):
        c = _class_of(a.result, votes.control, index)
        r = pos.get(a.item_id)
        if c < 0 or r is None:
            continue
        if a.source == "consensus":
            Y[r], source[r] = c, "consensus"
        else:
            humans.setdefault(r, Counter())[c] += 1
    for g in session.execute(
        select(GoldAnswer.item_id, GoldAnswer.result).where(GoldAnswer.project_id == project.id)
    ):
        c = _class_of(g.result, votes.control, index)
        r = pos.get(g.item_id)
        if c >= 0 and r is not None:
            Y[r], source[r] = c, "gold"
    for r, counts in humans.items():
        if source[r]:
            continue
        top = counts.most_common(2)
        if len(top) == 1 or top[0][1] > top[1][1]:
            Y[r], source[r] = top[0][0], "human"
    found = Counter(s for s in source.tolist() if s)
    return Y, {k: found.get(k, 0) for k in ("gold", "consensus", "human")}


# ---------------------------------------------------------------------- summary
@dataclass(frozen=True)
class LFSummaryRow:
    name: str
    version: str
    polarity: list[str]
    coverage: float
    overlaps: float
    conflicts: float
    correct: int
    incorrect: int
    empirical_accuracy: float | None
    learned_accuracy: float | None


@dataclass(frozen=True)
class WeakSummary:
    """LF analysis of a project's stored votes. Coverage, overlaps and conflicts are
    over all items; correct, incorrect and empirical accuracy over the items people
    labeled (``n_labeled``; ``None`` where an LF cast no vote on them)."""

    project_id: int
    control: str
    n_items: int
    n_labeled: int
    label_sources: dict[str, int]
    coverage: float
    overlap: float
    conflict: float
    lfs: list[LFSummaryRow] = field(default_factory=list)


def lf_summary(
    session: Session, actor: Actor, project_id: int, *, control: str | None = None
) -> WeakSummary:
    """``LFAnalysis`` of the stored votes (Snorkel's definitions: Ratner et al.,
    VLDB 2018), with empirical accuracies against the project's human labels,
    consensus and gold, and the label model's learned accuracies."""
    project = authorize(session, actor, project_id, Permission.manage)
    votes = stored_votes(session, project, control)
    Y, sources = reference_labels(session, project, votes)
    analysis = LFAnalysis(votes.L, votes.lf_names)
    known = Y >= 0
    correct = incorrect = np.zeros(len(votes.lf_names), dtype=np.int64)
    if known.any() and votes.lf_names:
        correct, incorrect = LFAnalysis(votes.L[known]).lf_correct_incorrect(Y[known])
    learned: list[float | None] = [None] * len(votes.lf_names)
    if votes.lf_names and (votes.L >= 0).any():
        model = LabelModel(cardinality=len(votes.options)).fit(votes.L)
        learned = [float(a) for a in model.accuracies_]
    rows = []
    polarities = analysis.lf_polarities() if votes.lf_names else []
    for j, name in enumerate(votes.lf_names):
        cast = int(correct[j] + incorrect[j])
        rows.append(
            LFSummaryRow(
                name=name,
                version=votes.lf_versions[j],
                polarity=[votes.options[c] for c in polarities[j]],
                coverage=float(analysis.lf_coverages()[j]),
                overlaps=float(analysis.lf_overlaps()[j]),
                conflicts=float(analysis.lf_conflicts()[j]),
                correct=int(correct[j]),
                incorrect=int(incorrect[j]),
                empirical_accuracy=float(correct[j] / cast) if cast else None,
                learned_accuracy=learned[j],
            )
        )
    return WeakSummary(
        project_id=project_id,
        control=votes.control,
        n_items=analysis.n_items,
        n_labeled=int(known.sum()),
        label_sources=sources,
        coverage=analysis.label_coverage(),
        overlap=analysis.label_overlap(),
        conflict=analysis.label_conflict(),
        lfs=rows,
    )


# --------------------------------------------------------------- label model
@dataclass(frozen=True)
class FitResult:
    """What ``fit_label_model`` stored: ``n_predictions`` weak labels (items where
    the model does not abstain), the LF accuracies it learned, and with routing
    the number of items per route (``skipped``: gold, or already with people;
    ``leased_meanwhile``: auto-approved but leased before the update, so left)."""

    model_version: str
    n_items: int
    n_predictions: int
    accuracies: dict[str, float]
    class_balance: list[float]
    routes: dict[str, int] | None = None


def fit_label_model(
    session: Session,
    actor: Actor,
    project_id: int,
    *,
    control: str | None = None,
    route: bool = False,
    policy: RoutingPolicy | None = None,
    seed: int = 0,
) -> FitResult:
    """Fit the label model on the stored votes and store its labels (replacing an
    earlier fit's); with ``route``, route the items by confidence (module docstring)."""
    project = authorize(session, actor, project_id, Permission.manage)
    votes = stored_votes(session, project, control)
    if not votes.lf_names:
        raise InvalidInput("no labeling-function votes stored yet: run `labelwell weak apply`")
    model = LabelModel(cardinality=len(votes.options)).fit(votes.L)
    proba = model.predict_proba(votes.L)
    pred = model.predict(votes.L, tie_break="abstain")
    covered = (votes.L >= 0).any(axis=1) & (pred >= 0)
    confidence = np.where(covered, proba.max(axis=1), 0.0)
    digest = hashlib.sha256(
        ",".join(
            f"{n}@{v}" for n, v in zip(votes.lf_names, votes.lf_versions, strict=True)
        ).encode()
    )
    version = digest.hexdigest()[:12]
    session.execute(
        delete(Prediction).where(
            Prediction.project_id == project_id,
            Prediction.source == SOURCE,
            Prediction.model_name == LABEL_MODEL,
        )
    )
    now = utcnow()
    rows = [
        {
            "item_id": int(votes.item_ids[i]),
            "project_id": project_id,
            "source": SOURCE,
            "model_name": LABEL_MODEL,
            "model_version": version,
            "result": {votes.control: votes.options[int(pred[i])]},
            "score": float(confidence[i]),
            "created_at": now,
        }
        for i in np.flatnonzero(covered)
    ]
    for start in range(0, len(rows), 10_000):
        session.execute(insert(Prediction.__table__), rows[start : start + 10_000])
    routes = None
    if route:
        routes = _route(session, project, votes, pred, confidence, version, policy, seed)
    result = FitResult(
        model_version=version,
        n_items=int(votes.item_ids.shape[0]),
        n_predictions=len(rows),
        accuracies={n: float(a) for n, a in zip(votes.lf_names, model.accuracies_, strict=True)},
        class_balance=[float(b) for b in model.class_balance_],
        routes=routes,
    )
    audit.record(
        session,
        actor,
        "weak.fit",
        project_id=project_id,
        details={"model_version": version, "predictions": len(rows), "routes": routes},
    )
    return result


def _route(
    session: Session,
    project: Project,
    votes: StoredVotes,
    pred: np.ndarray,
    confidence: np.ndarray,
    version: str,
    policy: RoutingPolicy | None,
    seed: int,
) -> dict[str, int]:
    """Route the items no person has touched (not gold, open, no lease, no label),
    as :func:`labelwell.work.assist.route` routes pre-labels."""
    from labelwell.assist.routing import RoutingPolicy, route

    policy = policy or RoutingPolicy()
    free = set(
        session.scalars(
            select(Item.id).where(
                Item.project_id == project.id,
                Item.is_gold.is_(False),
                Item.status == "open",
                Item.n_active == 0,
                Item.n_done == 0,
            )
        )
    )
    rows = np.flatnonzero(np.isin(votes.item_ids, np.fromiter(free, np.int64, len(free))))
    decision = route(confidence[rows], policy, seed=seed)
    counts = decision.counts()
    counts["skipped"] = int(votes.item_ids.shape[0] - rows.shape[0])
    kinds = np.where(decision.spot_check, "review", decision.routes)
    for kind, priority in ROUTE_PRIORITY.items():
        ids = votes.item_ids[rows[kinds == kind]].tolist()
        for start in range(0, len(ids), 5_000):
            part = ids[start : start + 5_000]
            session.execute(update(Item).where(Item.id.in_(part)).values(priority=priority))
    row_of = {int(votes.item_ids[r]): int(r) for r in rows[kinds == "auto_approve"]}
    taken: list[int] = []
    keep = sorted(row_of)
    for start in range(0, len(keep), 5_000):
        # an item leased meanwhile is left to its annotator
        taken += session.scalars(
            update(Item)
            .where(Item.id.in_(keep[start : start + 5_000]), Item.n_active == 0)
            .where(Item.status == "open")
            .values(n_active=project.overlap, n_done=project.overlap, status="done")
            .returning(Item.id)
        ).all()
    now = utcnow()
    weak_labels = [
        {
            "item_id": item_id,
            "project_id": project.id,
            "user_id": None,
            "source": SOURCE,
            "agent": f"{LABEL_MODEL}@{version}",
            "result": {votes.control: votes.options[int(pred[row_of[item_id]])]},
            "status": "accepted",
            "revision": 1,
            "is_current": True,
            "is_gold_check": False,
            "details": {
                "weak_label": True,
                "route": "auto_approve",
                "score": float(confidence[row_of[item_id]]),
                "threshold": float(policy.approve_threshold),
            },
            "created_at": now,
        }
        for item_id in sorted(taken)
    ]
    for start in range(0, len(weak_labels), 10_000):
        session.execute(insert(Annotation.__table__), weak_labels[start : start + 10_000])
    counts["leased_meanwhile"] = len(row_of) - len(taken)
    return counts
