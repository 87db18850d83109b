"""Weak supervision inside a project: what the platform adds over the library.

On the UCI YouTube spam comments (1,956, replicated ``--copies`` times) in a
SQLite project, with 10 keyword/regex LFs, side by side in one run:

* ``weak apply`` (read items in chunks, vote, store votes as predictions)
  against ``LFApplier.apply`` on the same texts in memory;
* ``weak summary`` (rebuild L from the stored votes, LFAnalysis, label model)
  against ``LFAnalysis`` + ``LabelModel.fit`` on the in-memory L;
* ``weak fit --route`` (fit, store weak labels, route every item);
* accuracy of the stored label-model labels against the comments' true class,
  beside majority vote and Snorkel 0.10's LabelModel fitted on the same stored
  votes (random tie-break for all three).

Run: ``bash benchmarks/peers.sh`` then
``benchmarks/.venv-peers/bin/python benchmarks/bench_weak_platform.py [--json out.json]``.
Skips with a message when ``../shared/datasets/text/youtube_spam`` is missing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "text" / "youtube_spam"
ONTOLOGY = {
    "name": "youtube spam",
    "controls": [
        {
            "name": "label",
            "type": "choice",
            "source": "text",
            "options": ["ham", "spam"],
            "required": True,
        }
    ],
}
LFS = """
from labelwell.weak import keyword_lf, regex_lf

HAM, SPAM = 0, 1
check_out = keyword_lf("check_out", ["check out", "check my"], SPAM)
subscribe = keyword_lf("subscribe", ["subscribe", "subscribers"], SPAM)
channel = keyword_lf("channel", ["my channel", "my video", "my page"], SPAM)
money = keyword_lf("money", ["money", "free", "gift card", "win"], SPAM)
please = keyword_lf("please", ["please", "plz"], SPAM)
link = regex_lf("link", r"https?://|www\\.|\\.com", SPAM)
song = keyword_lf("song", ["song", "love this", "lyrics"], HAM)
views = regex_lf("views", r"\\b(billion|views|20\\d\\d)\\b", HAM)
artist = keyword_lf("artist", ["katy", "eminem", "shakira", "psy", "lmfao"], HAM)
short = regex_lf("short", r"^\\W*(?:\\w+\\W+){0,4}\\w*\\W*$", HAM)
"""


def load_comments() -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in sorted(DATA.glob("*.csv"))]
    return pd.concat(frames, ignore_index=True)[["CONTENT", "CLASS"]]


def timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=25)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is missing")
        return

    import labelwell.assist.routing  # noqa: F401  (scipy.stats: a one-off import, not timed)
    from labelwell.formats.registry import ImportRow
    from labelwell.store.db import Database
    from labelwell.store.migrate import upgrade
    from labelwell.weak import LabelModel, LFAnalysis, LFApplier, MajorityLabelVoter
    from labelwell.work import accounts, items, projects
    from labelwell.work import weak as service
    from labelwell.work.actors import Actor

    comments = load_comments()
    texts = comments["CONTENT"].tolist() * args.copies
    truth = np.tile(comments["CLASS"].to_numpy(), args.copies)
    folder = Path(tempfile.mkdtemp(prefix="bench_weak_platform_"))
    (folder / "lfs.py").write_text(LFS)
    lfs = service.load_labeling_functions(folder / "lfs.py")
    db = Database(f"sqlite:///{folder / 'bench.db'}")
    upgrade(db)
    with db.session() as s:
        admin = Actor.of(accounts.create_user(s, "admin@example.org", role="admin"))
        project = projects.create_project(s, admin, "spam", ONTOLOGY, gold_ratio=0.0)
        pid = project.id
        rows = [ImportRow(line=i + 1, data={"text": t}) for i, t in enumerate(texts)]
        items.import_rows(s, admin, pid, rows, filename="comments.jsonl")
    n = len(texts)
    print(f"{n:,} items ({len(comments):,} comments x {args.copies}), {len(lfs)} LFs, SQLite")

    records = [{"text": t} for t in texts]
    t_lib, matrix = timed(lambda: LFApplier(lfs).apply(records, progress=False), repeat=2)
    t_apply, applied = timed(lambda: service.apply_lfs(db, admin, pid, lfs))
    L = np.asarray(matrix.L)

    def direct_summary():
        LFAnalysis(L, lfs).lf_summary()
        return LabelModel(cardinality=2).fit(L)

    t_direct, _ = timed(direct_summary, repeat=2)

    def platform_summary():
        with db.read_session() as s:
            return service.lf_summary(s, admin, pid)

    t_summary, _ = timed(platform_summary, repeat=2)

    def platform_fit():
        with db.session() as s:
            return service.fit_label_model(s, admin, pid, route=True, seed=0)

    t_fit, fitted = timed(platform_fit)

    with db.read_session() as s:
        votes = service.stored_votes(s, project, None)
    assert np.array_equal(votes.L, L), "stored votes differ from the in-memory votes"
    ours = LabelModel(cardinality=2).fit(votes.L).predict(votes.L, tie_break="random")
    mv = MajorityLabelVoter(cardinality=2).predict(votes.L, tie_break="random")
    acc = {
        "labelwell LabelModel (stored weak labels)": float((ours == truth).mean()),
        "majority vote": float((mv == truth).mean()),
    }
    try:
        from snorkel.labeling.model import LabelModel as SnorkelLabelModel

        theirs = SnorkelLabelModel(cardinality=2, verbose=False)
        theirs.fit(votes.L.astype(np.int64), seed=0, progress_bar=False)
        pred = theirs.predict(votes.L.astype(np.int64), tie_break_policy="random")
        acc["Snorkel 0.10 LabelModel (same votes)"] = float((pred == truth).mean())
    except ImportError:
        print("snorkel is not installed here: run with benchmarks/.venv-peers/bin/python")

    rows_out = [
        ("weak apply (platform, stores votes)", t_apply, n / t_apply),
        ("LFApplier.apply (library, in memory)", t_lib, n / t_lib),
        ("weak summary (platform, from stored votes)", t_summary, n / t_summary),
        ("LFAnalysis + LabelModel.fit (library)", t_direct, n / t_direct),
        ("weak fit --route (platform)", t_fit, n / t_fit),
    ]
    print(f"\n{'step':<44} {'seconds':>8} {'items/s':>10}")
    for name, sec, rate in rows_out:
        print(f"{name:<44} {sec:>8.2f} {rate:>10,.0f}")
    print(
        f"\nplatform / library time: apply {t_apply / t_lib:.1f}x, "
        f"summary {t_summary / t_direct:.1f}x"
    )
    print(
        f"{applied.n_votes:,} votes stored; {fitted.n_predictions:,} weak labels; "
        f"routes {fitted.routes}"
    )
    print("\naccuracy against the true class (random tie-break):")
    for name, value in acc.items():
        print(f"  {name:<44} {value:.3f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "n_items": n,
                    "n_lfs": len(lfs),
                    "seconds": {r[0]: r[1] for r in rows_out},
                    "ratios": {"apply": t_apply / t_lib, "summary": t_summary / t_direct},
                    "votes": applied.n_votes,
                    "weak_labels": fitted.n_predictions,
                    "routes": fitted.routes,
                    "accuracy": acc,
                    "python": sys.version.split()[0],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
