"""Rankings of responses turned into pairwise comparisons.

Three strategies, registered by name in :data:`PAIR_STRATEGIES`:

* ``all_pairs`` — every pair of responses in different tie groups (InstructGPT,
  Ouyang et al. 2022, sec. 3.5: all K-choose-2 comparisons of a ranking of K);
* ``best_vs_rest`` — the top group against every lower response;
* ``best_vs_random_lower`` — one best response against one response drawn at
  random among those ranked strictly lower (UltraFeedback binarised; Cui et
  al. 2023, and Tunstall et al., "Zephyr", 2023, sec. 3).

Pairs inside a tie group become ``tie`` comparisons when ``keep_ties`` is set and
are dropped otherwise. A generated comparison always puts the better response in
``response_a``. Other packages add strategies through the
``labelwell.pair_strategies`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations

import numpy as np

from labelwell.errors import InvalidInput
from labelwell.registry import Registry
from labelwell.rlhf.records import Comparison

Ranking = Sequence[Sequence[str]]
PairStrategy = Callable[[list[list[str]], np.random.Generator], list[tuple[str, str]]]


def validate_ranking(
    ranking: Ranking, response_ids: Sequence[str] | None = None
) -> list[list[str]]:
    """Tie groups as lists; each response appears once, groups are not empty, and
    when ``response_ids`` is given, the ranking covers exactly those responses."""
    groups = [[str(r) for r in group] for group in ranking]
    if any(not g for g in groups):
        raise InvalidInput("a ranking's tie group is empty", field="ranking")
    flat = [r for g in groups for r in g]
    if len(set(flat)) != len(flat):
        raise InvalidInput("a response appears twice in the ranking", field="ranking")
    if response_ids is not None and set(flat) != {str(r) for r in response_ids}:
        raise InvalidInput("the ranking must rank every response once", field="ranking")
    return groups


def _all_pairs(groups: list[list[str]], rng: np.random.Generator) -> list[tuple[str, str]]:
    return [(w, lo) for i, g in enumerate(groups) for w in g for h in groups[i + 1 :] for lo in h]


def _best_vs_rest(groups: list[list[str]], rng: np.random.Generator) -> list[tuple[str, str]]:
    return [(w, lo) for w in groups[0] for h in groups[1:] for lo in h]


def _best_vs_random_lower(
    groups: list[list[str]], rng: np.random.Generator
) -> list[tuple[str, str]]:
    lower = [r for g in groups[1:] for r in g]
    if not lower:
        return []
    best = groups[0][int(rng.integers(len(groups[0])))]
    return [(best, lower[int(rng.integers(len(lower)))])]


PAIR_STRATEGIES: Registry[PairStrategy] = Registry(
    "pair strategy", group="labelwell.pair_strategies", field="strategy"
)
PAIR_STRATEGIES.register("all_pairs", _all_pairs)
PAIR_STRATEGIES.register("best_vs_rest", _best_vs_rest)
PAIR_STRATEGIES.register("best_vs_random_lower", _best_vs_random_lower)


def ranking_to_comparisons(
    item_id: str,
    ranking: Ranking,
    *,
    strategy: str = "all_pairs",
    keep_ties: bool = False,
    rng: np.random.Generator | int | None = None,
    annotator: str | None = None,
) -> list[Comparison]:
    """Comparisons implied by one ranking (best first, with tie groups)."""
    pairs = PAIR_STRATEGIES.get(strategy)
    groups = validate_ranking(ranking)
    gen = np.random.default_rng(rng)
    out = [Comparison(item_id, w, lose, "a", annotator) for w, lose in pairs(groups, gen)]
    if keep_ties:
        tied = groups[:1] if strategy != "all_pairs" else groups
        out += [
            Comparison(item_id, x, y, "tie", annotator) for g in tied for x, y in combinations(g, 2)
        ]
    return out


def scores_to_ranking(scores: Mapping[str, float], *, tol: float = 0.0) -> list[list[str]]:
    """Ratings of responses (higher is better) as a ranking with tie groups; scores
    within ``tol`` of the group's first score share a group."""
    order = sorted(scores, key=lambda r: (-scores[r], r))
    groups: list[list[str]] = []
    for r in order:
        if groups and abs(scores[groups[-1][0]] - scores[r]) <= tol:
            groups[-1].append(r)
        else:
            groups.append([r])
    return groups
