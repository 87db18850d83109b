"""Guards for synthetic data, on plain arrays and strings.

* Distribution shift between real and synthetic embeddings: the unbiased
  squared maximum mean discrepancy with a Gaussian (RBF) kernel whose width is
  the median pairwise distance, and its permutation-test p-value (Gretton et
  al. 2012, "A Kernel Two-Sample Test", JMLR 13, eq. 3 and section 8 for the
  median heuristic); and the classifier two-sample test (Lopez-Paz & Oquab
  2017, "Revisiting Classifier Two-Sample Tests", ICLR): the cross-validated
  ROC AUC of a classifier told to tell real from synthetic (0.5: it cannot).
* Near duplicates: MinHash signatures of character shingles (Broder 1997, "On
  the resemblance and containment of documents") with banded locality-sensitive
  hashing (Leskovec, Rajaraman & Ullman, "Mining of Massive Datasets", ch. 3.4)
  and the estimated Jaccard similarity checked on each candidate pair; and
  cosine similarity of embeddings.
* Verbatim overlap: every span of ``min_chars`` characters or more that a text
  shares with a reference corpus, found with a Rabin-Karp rolling hash (Karp &
  Rabin 1987) and confirmed by comparing the characters.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
from numpy.typing import NDArray

from labelwell.errors import InvalidInput

Matrix = NDArray[np.float64]


# -- distribution shift ----------------------------------------------------------


def median_bandwidth(z: Matrix, *, max_n: int = 1000, seed: int = 0) -> float:
    """The median pairwise Euclidean distance of the rows of ``z`` (at most
    ``max_n`` of them, drawn at random), the kernel width of the median heuristic."""
    rng = np.random.default_rng(seed)
    if len(z) > max_n:
        z = z[rng.choice(len(z), max_n, replace=False)]
    sq = np.sum(z * z, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0.0)
    iu = np.triu_indices(len(z), k=1)
    med = float(np.sqrt(np.median(d2[iu]))) if len(iu[0]) else 0.0
    return med if med > 0 else 1.0


def rbf_kernel(z: Matrix, bandwidth: float) -> Matrix:
    """``k(a, b) = exp(-||a - b||^2 / (2 bandwidth^2))`` for every pair of rows."""
    sq = np.sum(z * z, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0.0)
    return np.asarray(np.exp(-d2 / (2.0 * bandwidth**2)), dtype=np.float64)


def _mmd2_from_memberships(k0: Matrix, member: NDArray[np.float64], n: int, m: int) -> Matrix:
    """Unbiased MMD^2 for each column of ``member`` (1: first sample), with
    ``k0`` the pooled kernel matrix with a zero diagonal."""
    total = k0.sum()
    rows = k0.sum(axis=1)
    kz = k0 @ member
    xx = np.sum(member * kz, axis=0)
    xy = rows @ member - xx
    yy = total - xx - 2 * xy
    return np.asarray(xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2 * xy / (n * m), np.float64)


@dataclass(frozen=True, slots=True)
class MMDResult:
    mmd2: float
    p_value: float
    bandwidth: float
    n_real: int
    n_synthetic: int


def mmd_test(
    real: Matrix,
    synthetic: Matrix,
    *,
    n_permutations: int = 200,
    max_n: int = 500,
    bandwidth: float | None = None,
    seed: int = 0,
) -> MMDResult:
    """Unbiased MMD^2 (Gretton et al. 2012, eq. 3) with an RBF kernel of median
    width, and its permutation p-value ``(1 + #{perm >= observed}) / (1 + P)``.
    Each side is subsampled to ``max_n`` rows."""
    x, y = np.asarray(real, dtype=np.float64), np.asarray(synthetic, dtype=np.float64)
    if len(x) < 2 or len(y) < 2:
        raise InvalidInput("MMD needs at least 2 real and 2 synthetic items", field="items")
    rng = np.random.default_rng(seed)
    if len(x) > max_n:
        x = x[rng.choice(len(x), max_n, replace=False)]
    if len(y) > max_n:
        y = y[rng.choice(len(y), max_n, replace=False)]
    n, m = len(x), len(y)
    z = np.vstack([x, y])
    width = bandwidth or median_bandwidth(z, seed=seed)
    k0 = rbf_kernel(z, width)
    np.fill_diagonal(k0, 0.0)
    observed = np.zeros((n + m, 1))
    observed[:n] = 1.0
    stat = float(_mmd2_from_memberships(k0, observed, n, m)[0])
    perms = np.zeros((n + m, n_permutations))
    for j in range(n_permutations):
        perms[rng.permutation(n + m)[:n], j] = 1.0
    null = _mmd2_from_memberships(k0, perms, n, m)
    p = (1 + int(np.sum(null >= stat))) / (1 + n_permutations)
    return MMDResult(stat, p, float(width), n, m)


def c2st_auc(real: Matrix, synthetic: Matrix, *, folds: int = 5, seed: int = 0) -> float:
    """Classifier two-sample test (Lopez-Paz & Oquab 2017): the ROC AUC of
    logistic regression's out-of-fold probabilities that an item is synthetic.
    0.5 means the two cannot be told apart; 1.0 means they always can."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x = np.vstack([np.asarray(real, dtype=np.float64), np.asarray(synthetic, dtype=np.float64)])
    y = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    k = min(folds, len(real), len(synthetic))
    if k < 2:
        raise InvalidInput("the classifier test needs at least 2 items on each side", field="items")
    cv = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    proba = cross_val_predict(
        LogisticRegression(max_iter=1000), x, y, cv=cv, method="predict_proba"
    )
    return float(roc_auc_score(y, proba[:, 1]))


@dataclass(frozen=True, slots=True)
class Shift:
    """Distribution shift of one label (``label`` None: every item)."""

    label: str | None
    n_real: int
    n_synthetic: int
    mmd2: float | None
    p_value: float | None
    auc: float | None


def shift_by_label(
    real: Matrix,
    real_labels: Sequence[str | None],
    synthetic: Matrix,
    synthetic_labels: Sequence[str | None],
    *,
    n_permutations: int = 200,
    seed: int = 0,
) -> list[Shift]:
    """MMD test and classifier AUC over all items, then per label; a label with
    fewer than 2 items on a side has no figures (None)."""
    rl, sl = np.asarray(real_labels, dtype=object), np.asarray(synthetic_labels, dtype=object)
    groups: list[str | None] = [None]
    groups += sorted({str(v) for v in rl if v is not None} | {str(v) for v in sl if v is not None})
    out = []
    for label in groups:
        rm = np.ones(len(rl), bool) if label is None else rl == label
        sm = np.ones(len(sl), bool) if label is None else sl == label
        a, b = real[rm], synthetic[sm]
        if len(a) >= 2 and len(b) >= 2:
            res = mmd_test(a, b, n_permutations=n_permutations, seed=seed)
            auc = c2st_auc(a, b, seed=seed)
            out.append(Shift(label, len(a), len(b), res.mmd2, res.p_value, auc))
        else:
            out.append(Shift(label, len(a), len(b), None, None, None))
    return out


def shift_plot_svg(
    real: Matrix, synthetic: Matrix, *, title: str = "real vs synthetic", width: int = 360
) -> str:
    """Real (blue) and synthetic (orange) items on the first two principal
    components of the pooled embeddings, as SVG markup."""
    z = np.vstack([real, synthetic]).astype(np.float64)
    height, pad = width, 16
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0.5" y="0.5" width="{width - 1}" height="{height - 1}" fill="none" '
        'stroke="#ccd"/>',
    ]
    if len(z) >= 2:
        centred = z - z.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        xy = centred @ vt[:2].T if len(vt) >= 2 else np.c_[centred @ vt[0], np.zeros(len(z))]
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1.0)
        top = 28  # room for the legend
        pts = (xy - lo) / span * np.array([width - 2 * pad, height - top - pad])
        for i, (px, py) in enumerate(pts + pad):
            colour = "#3b6fd8" if i < len(real) else "#e0803a"
            parts.append(
                f'<circle cx="{px:.1f}" cy="{height - py:.1f}" r="3" fill="{colour}" '
                'fill-opacity="0.6"/>'
            )
    parts.append(
        f'<text x="{pad}" y="{pad + 2}" {_FONT} fill="#3b6fd8">real {len(real)}</text>'
        f'<text x="{width - pad}" y="{pad + 2}" {_FONT} text-anchor="end" fill="#e0803a">'
        f"synthetic {len(synthetic)}</text></svg>"
    )
    return "".join(parts)


# -- near duplicates ---------------------------------------------------------------

_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
_MERSENNE = np.uint64((1 << 61) - 1)


def shingles(text: str, k: int = 5) -> set[str]:
    """Character ``k``-grams of the lower-cased text with whitespace collapsed."""
    norm = " ".join(text.lower().split())
    if len(norm) <= k:
        return {norm} if norm else set()
    return {norm[i : i + k] for i in range(len(norm) - k + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class MinHash:
    """MinHash signatures (Broder 1997) of texts' shingle sets: ``num_perm`` hash
    functions ``(a x + b) mod (2^61 - 1)`` over the shingles' CRC-32; the share
    of equal positions of two signatures estimates their Jaccard similarity."""

    def __init__(self, num_perm: int = 128, shingle: int = 5, seed: int = 1) -> None:
        self.num_perm = num_perm
        self.shingle = shingle
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, int(_MERSENNE), num_perm, dtype=np.uint64)
        self.b = rng.integers(0, int(_MERSENNE), num_perm, dtype=np.uint64)

    def signature(self, text: str) -> NDArray[np.uint64]:
        grams = shingles(text, self.shingle)
        if not grams:
            return np.full(self.num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
        h = np.fromiter((zlib.crc32(g.encode()) for g in grams), np.uint64, len(grams))
        # uint64 arithmetic wraps; the modulus keeps values under 2^61 (as datasketch does)
        with np.errstate(over="ignore"):
            v = (self.a[:, None] * h[None, :] + self.b[:, None]) % _MERSENNE
        return np.asarray(v.min(axis=1), dtype=np.uint64)

    def signatures(self, texts: Sequence[str]) -> NDArray[np.uint64]:
        return (
            np.vstack([self.signature(t) for t in texts]) if texts else np.zeros((0, 0), np.uint64)
        )


@dataclass(frozen=True, slots=True)
class Pair:
    """Two near-duplicate texts: ``i`` of the first set, ``j`` of the second
    (of the same set when there is one), with their similarity."""

    i: int
    j: int
    similarity: float


def _bands(num_perm: int, threshold: float) -> int:
    """The number of LSH bands whose S-curve threshold ``(1/b)^(1/r)`` lies
    closest under ``threshold`` (candidates are then checked)."""
    best = 1
    for b in range(1, num_perm + 1):
        if num_perm % b == 0 and (1 / b) ** (b / num_perm) <= threshold:
            return b
        best = b
    return best


def minhash_duplicates(
    texts: Sequence[str],
    others: Sequence[str] | None = None,
    *,
    threshold: float = 0.8,
    minhash: MinHash | None = None,
) -> list[Pair]:
    """Pairs with estimated Jaccard >= ``threshold``: within ``texts`` (``i < j``),
    or between ``texts`` and ``others`` when given."""
    mh = minhash or MinHash()
    a = mh.signatures(texts)
    b = mh.signatures(others) if others is not None else a
    if not len(a) or not len(b):
        return []
    n_bands = _bands(mh.num_perm, threshold)
    rows = mh.num_perm // n_bands
    candidates: set[tuple[int, int]] = set()
    for band in range(n_bands):
        cols = slice(band * rows, (band + 1) * rows)
        buckets: dict[bytes, list[int]] = defaultdict(list)
        for j, sig in enumerate(b):
            buckets[sig[cols].tobytes()].append(j)
        for i, sig in enumerate(a):
            for j in buckets.get(sig[cols].tobytes(), ()):
                if others is not None or i < j:
                    candidates.add((i, j))
    out = []
    for i, j in sorted(candidates):
        est = float(np.mean(a[i] == b[j]))
        if est >= threshold:
            out.append(Pair(i, j, est))
    return out


def cosine_duplicates(
    embeddings: Matrix,
    others: Matrix | None = None,
    *,
    threshold: float = 0.95,
    block: int = 1024,
) -> list[Pair]:
    """Pairs of rows with cosine similarity >= ``threshold``, within ``embeddings``
    (``i < j``) or against ``others``; computed in blocks of rows."""

    def unit(m: Matrix) -> Matrix:
        m = np.asarray(m, dtype=np.float64)
        norms = np.linalg.norm(m, axis=1, keepdims=True)
        return m / np.where(norms > 0, norms, 1.0)

    a = unit(embeddings)
    b = unit(others) if others is not None else a
    out = []
    for start in range(0, len(a), block):
        sims = a[start : start + block] @ b.T
        ii, jj = np.nonzero(sims >= threshold)
        for i, j in zip(ii.tolist(), jj.tolist(), strict=True):
            gi = start + i
            if others is None and gi >= j:
                continue
            out.append(Pair(gi, j, float(sims[i, j])))
    return out


# -- verbatim overlap --------------------------------------------------------------

_P = (1 << 61) - 1
_BASE = 1_000_003


@dataclass(frozen=True, slots=True)
class Overlap:
    """``text[start:end]`` of text ``index`` is word for word in reference
    ``reference`` from ``reference_start``."""

    index: int
    start: int
    end: int
    reference: int
    reference_start: int

    @property
    def length(self) -> int:
        return self.end - self.start


def _window_hashes(text: str, length: int) -> list[int]:
    """Rabin-Karp hashes of every window of ``length`` characters."""
    if len(text) < length:
        return []
    top = pow(_BASE, length - 1, _P)
    h = 0
    for ch in text[:length]:
        h = (h * _BASE + ord(ch)) % _P
    out = [h]
    for i in range(length, len(text)):
        h = ((h - ord(text[i - length]) * top) * _BASE + ord(text[i])) % _P
        out.append(h)
    return out


class ReferenceIndex:
    """Every window of ``min_chars`` characters of a reference corpus, by hash."""

    def __init__(self, references: Sequence[str], min_chars: int = 50) -> None:
        if min_chars < 8:
            raise InvalidInput("min_chars must be at least 8", field="min_chars")
        self.references = list(references)
        self.min_chars = min_chars
        self._at: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for r, ref in enumerate(self.references):
            for pos, h in enumerate(_window_hashes(ref, min_chars)):
                self._at[h].append((r, pos))

    def overlaps(self, text: str, index: int = 0) -> list[Overlap]:
        """The maximal spans of ``text`` found verbatim in a reference, each at
        least ``min_chars`` long, left to right."""
        n = self.min_chars
        out: list[Overlap] = []
        covered = 0
        for s, h in enumerate(_window_hashes(text, n)):
            if s + n <= covered:
                continue
            for r, q in self._at.get(h, ()):
                ref = self.references[r]
                if text[s : s + n] != ref[q : q + n]:
                    continue  # a hash collision
                end, qe = s + n, q + n
                while end < len(text) and qe < len(ref) and text[end] == ref[qe]:
                    end, qe = end + 1, qe + 1
                if end > covered:
                    out.append(Overlap(index, s, end, r, q))
                    covered = end
                break
        return out


def verbatim_overlaps(
    texts: Sequence[str], references: Sequence[str], *, min_chars: int = 50
) -> list[Overlap]:
    """Spans of ``min_chars`` characters or more that ``texts`` copy from ``references``."""
    index = ReferenceIndex(references, min_chars)
    return [o for i, t in enumerate(texts) for o in index.overlaps(t, i)]
