"""Consensus across annotators for preference work, with dissent kept.

* Pairwise comparisons: plurality vote over ``a``/``b``/``tie``/``both_bad``
  after putting every pair in one orientation; when the leading outcomes draw,
  the consensus is ``tie`` (no preference is claimed that the votes do not carry).
  Agreement is Krippendorff's alpha (nominal) over the oriented outcomes.
* Rankings: Tideman's ranked pairs (Tideman 1987, "Independence of clones as a
  criterion for voting rules", sec. 3), as Open-Assistant merges its rankings;
  the method itself lives in :mod:`labelwell.quality.rankings`.
* Ratings: mean and median per response and aspect.

Every individual judgment stays in the result (``votes``/``dissent``): a
consensus is derived data and never replaces what annotators said.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput
from labelwell.quality.krippendorff import krippendorff_alpha
from labelwell.quality.rankings import ranked_pairs
from labelwell.rlhf.pairs import validate_ranking
from labelwell.rlhf.records import OUTCOMES, Comparison, Outcome

_FLIP: dict[Outcome, Outcome] = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}


def comparisons_frame(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """Comparisons as a long frame, each pair oriented so ``response_a < response_b``."""
    rows = []
    for c in comparisons:
        a, b, o = c.response_a, c.response_b, c.outcome
        if a > b:
            a, b, o = b, a, _FLIP[o]
        rows.append((c.item_id, a, b, o, c.annotator, c.reason))
    return pd.DataFrame(
        rows, columns=["item_id", "response_a", "response_b", "outcome", "annotator", "reason"]
    )


def pairwise_majority(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """Consensus per (item, pair): columns ``n_a, n_b, n_tie, n_both_bad, n_votes,
    outcome, support`` (share of votes for the consensus) and ``dissent`` (the
    judgments that differ from it, as ``{"annotator", "outcome", "reason"}``)."""
    if not comparisons:
        raise InvalidInput("no comparisons to aggregate")
    df = comparisons_frame(comparisons)
    keys = ["item_id", "response_a", "response_b"]
    counts = (
        pd.crosstab([df[k] for k in keys], df["outcome"])
        .reindex(columns=list(OUTCOMES), fill_value=0)
        .rename(columns=lambda o: f"n_{o}")
    )
    values = counts.to_numpy()
    top = values.max(axis=1, keepdims=True)
    leaders = values == top
    idx = np.where(leaders.sum(axis=1) > 1, OUTCOMES.index("tie"), values.argmax(axis=1))
    out = counts.reset_index()
    out.columns.name = None
    out["n_votes"] = values.sum(axis=1)
    out["outcome"] = np.asarray(OUTCOMES, dtype=object)[idx]
    out["support"] = values[np.arange(len(values)), idx] / out["n_votes"]
    merged = df.merge(out[keys + ["outcome"]], on=keys, suffixes=("", "_consensus"))
    differ = merged[merged["outcome"] != merged["outcome_consensus"]]
    dissent = {
        k: [
            {"annotator": a, "outcome": o, "reason": r}
            for a, o, r in zip(g["annotator"], g["outcome"], g["reason"], strict=True)
        ]
        for k, g in differ.groupby(keys, sort=False)
    }
    out["dissent"] = pd.Series(
        [dissent.get(tuple(k), []) for k in out[keys].itertuples(index=False)],
        index=out.index,
        dtype=object,
    )
    return out


def preference_alpha(comparisons: Sequence[Comparison]) -> float:
    """Krippendorff's alpha (nominal) of the oriented outcomes, one unit per pair."""
    df = comparisons_frame(comparisons)
    unit = df["item_id"].astype(str) + "\x1f" + df["response_a"] + "\x1f" + df["response_b"]
    anonymous = pd.Series([f"anon-{i}" for i in range(len(df))], index=df.index)
    worker = df["annotator"].fillna(anonymous)
    frame = pd.DataFrame({"task": unit, "worker": worker, "label": df["outcome"]})
    return krippendorff_alpha(frame, "nominal")


def merge_rankings(rankings: Mapping[str, Sequence[Sequence[str]]]) -> list[list[str]]:
    """One ranking (tie groups, best first) from several annotators' rankings of the
    same responses, by Tideman's ranked pairs."""
    if not rankings:
        raise InvalidInput("no rankings to merge")
    return ranked_pairs([validate_ranking(r) for r in rankings.values()])


def aggregate_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    """Mean, median, standard deviation and count of ``rating`` per ``item_id,
    response_id, aspect``; the individual ratings are kept in ``ratings``."""
    need = {"item_id", "response_id", "aspect", "rating"}
    if need - set(ratings.columns):
        raise InvalidInput(f"ratings lack columns: {sorted(need - set(ratings.columns))}")
    g = ratings.groupby(["item_id", "response_id", "aspect"], sort=True)["rating"]
    out = g.agg(["mean", "median", "std", "count"]).rename(columns={"count": "n"})
    out["ratings"] = g.apply(list)
    return out.reset_index()
