"""QA pairs from documents end to end: ``labelwell synth qa`` against a real
chat-completions server whose tiny GPT-2 was trained here to write QA pairs
(tests/synth/qa_lm.py). Grounded pairs are stored with their provenance; the
pair whose answer is not in its passage is rejected. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from labelwell.cli import app as cli
from labelwell.store.tables import AuditEntry, SyntheticItem
from labelwell.synth.generate import GROUNDED_MIN, chunks, grounding
from labelwell.work import items
from synth.lm_server import TinyLMServer
from synth.qa_lm import DOCUMENTS, HALLUCINATED, qa_lm
from world import build_world

CHUNK, OVERLAP = 400, 50


@pytest.fixture(scope="module")
def qa_server(request, tmp_path_factory):
    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("synth-qa-lm") if cache is not None else tmp_path_factory.mktemp("qa")
    with TinyLMServer("tiny-qa", lm=qa_lm(Path(folder))) as server:
        yield server


def test_cli_qa_stores_grounded_pairs_and_rejects_the_ungrounded(
    db, qa_server, settings, tmp_path, monkeypatch
):
    world = build_world(db, n_items=0)
    files = []
    for i, (doc, _, _) in enumerate(DOCUMENTS):
        assert chunks(doc, size=CHUNK, overlap=OVERLAP) == [doc]  # one chunk each
        files += ["--document", str(tmp_path / f"doc{i}.txt")]
        (tmp_path / f"doc{i}.txt").write_text(doc, encoding="utf-8")
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path))
    monkeypatch.setenv("LABELWELL_USER", world.manager.email)
    args = ["synth", "qa", str(world.project_id), "--base-url", qa_server.url]
    args += ["--model", "tiny-qa", "--chunk-size", str(CHUNK), "--overlap", str(OVERLAP)]
    args += ["--temperature", "0", "--max-tokens", "40", *files]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert "added 3 synthetic items" in r.output and "rejected: ungrounded 1" in r.output

    with db.read_session() as s:
        prov = {p.item_id: p for p in s.query(SyntheticItem)}
        stored = {i.id: i.data for i in items.list_items(s, world.manager, world.project_id)}
        audit = [e.details for e in s.query(AuditEntry).filter_by(action="synth.generate")]
    assert len(prov) == 3 and set(prov) == set(stored)
    by_doc = {}
    for item_id, p in prov.items():
        assert (p.method, p.model, p.prompt_version, p.generation, p.verdict) == (
            "qa",
            "tiny-qa",
            "qa/1",
            1,
            None,
        )
        (doc_id,) = p.seed_ids
        by_doc[doc_id] = stored[item_id]
    assert sorted(by_doc) == ["doc0", "doc1", "doc2"]  # the hallucinated doc3 is not stored
    for k in range(3):
        doc, question, answer = DOCUMENTS[k]
        data = by_doc[f"doc{k}"]
        assert data == {"text": question, "answer": answer, "context": doc}
        assert answer in doc and grounding(answer, doc) == 1.0
    doc, _, made_up = DOCUMENTS[HALLUCINATED]
    assert grounding(made_up, doc) < GROUNDED_MIN
    assert audit == [
        {"method": "qa", "items": 3, "rejected": {"ungrounded": 1}, "requests": len(DOCUMENTS)}
    ]
