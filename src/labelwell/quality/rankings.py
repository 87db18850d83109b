"""Merging several annotators' rankings of the same items: Borda count and
Tideman's ranked pairs (the method Open-Assistant uses to merge its rankings).

A ranking is a sequence, best first, whose elements are items or groups of tied
items (a ``list``, ``tuple``, ``set`` or ``frozenset``; a string is an item):
``["a", ("b", "c"), "d"]`` says a > b = c > d. Items a ranking leaves out are not
compared by it. Both functions return tie groups, best first:
``[["a"], ["b", "c"], ["d"]]``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from labelwell.errors import InvalidInput

_GROUP_TYPES = (list, tuple, set, frozenset)


def _positions(rankings: Sequence[Sequence[Any]]) -> tuple[list[Hashable], np.ndarray]:
    """Items in order of first appearance and a ``rankings x items`` matrix of tier
    positions (0 = best tier; NaN = not ranked)."""
    items: dict[Hashable, int] = {}
    tiers: list[list[tuple[int, int]]] = []
    for r, ranking in enumerate(rankings):
        if isinstance(ranking, str | bytes) or not isinstance(ranking, Iterable):
            raise InvalidInput(f"ranking {r} must be a sequence of items or tie groups")
        placed: list[tuple[int, int]] = []
        seen: set[Hashable] = set()
        for tier, entry in enumerate(ranking):
            group = sorted(entry, key=str) if isinstance(entry, _GROUP_TYPES) else [entry]
            for item in group:
                if item in seen:
                    raise InvalidInput(f"ranking {r} lists {item!r} more than once")
                seen.add(item)
                placed.append((items.setdefault(item, len(items)), tier))
        tiers.append(placed)
    pos = np.full((len(tiers), len(items)), np.nan)
    for r, placed in enumerate(tiers):
        if placed:
            idx, tier = np.array(placed).T
            pos[r, idx] = tier
    return list(items), pos


def pairwise_wins(rankings: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """``wins.loc[a, b]``: how many rankings put ``a`` strictly above ``b``."""
    items, pos = _positions(rankings)
    above = pos[:, :, None] < pos[:, None, :]  # NaN compares False: unranked pairs skip
    return pd.DataFrame(above.sum(axis=0), index=items, columns=items)


def borda_scores(rankings: Sequence[Sequence[Any]]) -> pd.Series:
    """Borda count with ties (de Borda 1781; the averaged-rank form for ties of
    Black 1976): in each ranking an item scores one point per item ranked below it
    and half a point per item tied with it."""
    items, pos = _positions(rankings)
    ranked = ~np.isnan(pos)
    below = (pos[:, :, None] < pos[:, None, :]).sum(axis=2)
    tied = ((pos[:, :, None] == pos[:, None, :]) & ranked[:, None, :]).sum(axis=2) - ranked
    scores = (below + 0.5 * tied).sum(axis=0).astype(float)
    return pd.Series(scores, index=items, name="borda")


def _groups(order: list[int], key: np.ndarray, items: list[Hashable]) -> list[list[Any]]:
    groups: list[list[Any]] = []
    last = None
    for i in order:
        if last is not None and key[i] == key[last]:
            groups[-1].append(items[i])
        else:
            groups.append([items[i]])
        last = i
    return groups


def borda(rankings: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Items grouped by equal Borda score, best first (see :func:`borda_scores`)."""
    scores = borda_scores(rankings)
    values = scores.to_numpy()
    order = sorted(range(len(values)), key=lambda i: (-values[i], i))
    return _groups(order, values, list(scores.index))


def _reaches(locked: np.ndarray, start: int, goal: int) -> bool:
    frontier, seen = [start], {start}
    while frontier:
        node = frontier.pop()
        if node == goal:
            return True
        for nxt in np.flatnonzero(locked[node]):
            if nxt not in seen:
                seen.add(int(nxt))
                frontier.append(int(nxt))
    return False


def ranked_pairs(rankings: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Tideman's ranked pairs (Tideman 1987, "Independence of clones as a
    criterion for voting rules", Social Choice and Welfare 4, sec. 3).

    Majorities ``a > b`` (more rankings put a above b than b above a) are sorted by
    margin, largest first, and locked in unless they would close a cycle; the
    result is the order of the locked graph. Equal margins are taken in order of
    the winners' Borda scores, then of first appearance. Items the locked graph
    cannot separate and that have zero margin with each other and equal Borda
    score form a tie group.
    """
    items, pos = _positions(rankings)
    n = len(items)
    if n == 0:
        return []
    above = (pos[:, :, None] < pos[:, None, :]).sum(axis=0)
    margin = above - above.T
    scores = borda_scores(rankings).to_numpy()
    winners, losers = np.nonzero(margin > 0)
    order = sorted(
        range(len(winners)),
        key=lambda e: (-margin[winners[e], losers[e]], -scores[winners[e]], winners[e], losers[e]),
    )
    locked = np.zeros((n, n), dtype=bool)
    for e in order:
        a, b = int(winners[e]), int(losers[e])
        if not _reaches(locked, b, a):
            locked[a, b] = True
    remaining = set(range(n))
    result: list[list[Any]] = []
    while remaining:
        rest = sorted(remaining)
        sources = [i for i in rest if not locked[rest, i].any()]
        sources.sort(key=lambda i: (-scores[i], i))
        head = sources[0]
        group = [head] + [
            i
            for i in sources[1:]
            if scores[i] == scores[head] and all(margin[i, j] == 0 for j in sources if j != i)
        ]
        if len(group) > 1 and any(margin[head, j] != 0 for j in group[1:]):
            group = [head]
        result.append([items[i] for i in group])
        remaining -= set(group)
    return result
