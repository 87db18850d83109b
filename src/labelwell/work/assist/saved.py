"""Models that ``labelwell assist train`` saved on this machine, one per project
(``$LABELWELL_HOME/models/project-<id>.pkl``), for pre-labeling later from the
command line or a worker job."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from labelwell.errors import NotFound
from labelwell.store.tables import Project
from labelwell.work.assist import make_predictor
from labelwell.work.project_settings import settings_of


def model_path(home: Path, project_id: int) -> Path:
    return home / "models" / f"project-{project_id}.pkl"


def project_predictor(project: Project, home: Path) -> Any:
    """The project's model (the ``assist_model`` setting), untrained; the built-in
    one caches its embeddings under ``home/embeddings``."""
    from labelwell.work import assist

    settings = settings_of(project)
    options = dict(settings.assist_model_options)
    if settings.assist_model == assist.DEFAULT_MODEL:
        from labelwell.assist.embeddings import EmbeddingCache, SentenceEmbedder

        cache = EmbeddingCache(home / "embeddings")
        options.setdefault("embedder", SentenceEmbedder(cache, models=home / "models"))
    return make_predictor(settings.assist_model, **options)


def save(model: Any, path: Path) -> None:
    """Pickle a trained model; an embedding model inside is left out (it reloads)."""
    inner = model.predictor
    embedder = getattr(inner, "embedder", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if embedder is not None:
            inner.embedder = None
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)
    finally:
        if embedder is not None:
            inner.embedder = embedder


def load(project: Project, home: Path) -> Any:
    """The model saved for ``project``; NotFound names the command that makes one."""
    path = model_path(home, project.id)
    if not path.exists():
        raise NotFound(
            f"no trained model for project {project.name!r}: run `labelwell assist train`"
        )
    model = pickle.loads(path.read_bytes())  # written by `assist train` on this machine
    if hasattr(model.predictor, "embedder") and model.predictor.embedder is None:
        model.predictor.embedder = project_predictor(project, home).embedder
    return model
