"""Synthetic data in a project, end to end against a real chat-completions
server backed by a tiny GPT-2 (tests/synth/lm_server.py): generation with
provenance, verdicts, the guards' report and the training export's caps; the
routes, the SDK and the CLI. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sklearn.feature_extraction.text import HashingVectorizer
from typer.testing import CliRunner

from labelwell.cli import app as cli
from labelwell.client import Client
from labelwell.errors import Conflict, InvalidInput
from labelwell.formats.registry import ImportRow
from labelwell.rlhf.generate import OpenAIChatGenerator, Sampling
from labelwell.server import create_app
from labelwell.store.tables import AuditEntry, SyntheticItem
from labelwell.synth import filters, generate
from labelwell.synth.rouge import rouge_l_max
from labelwell.work import items, jobs, projects, synth, synth_report
from labelwell.work.synth_jobs import SynthOptions, generate_into
from sdk_transport import Via
from synth.lm_server import CORPUS, TinyLMServer
from world import build_world

REVIEWS = [
    ("Describe the water cycle to a child in three simple sentences", "positive"),
    ("List five healthy snacks that are easy to prepare at work", "positive"),
    ("Explain why the sky looks blue during the day", "neutral"),
    ("Give three tips for writing a clear email to a new colleague", "negative"),
    ("Compare trains and planes for a trip of five hundred kilometres", "negative"),
    ("Summarise the main argument of the passage in one sentence", "neutral"),
    ("Suggest a name for a bakery that sells only vegan bread", "positive"),
    ("Write a short poem about autumn leaves falling in the park", "neutral"),
]


@pytest.fixture(scope="module")
def lm():
    with TinyLMServer() as server:
        yield server


@pytest.fixture
def world(db):
    w = build_world(db, n_items=0)
    rows = [
        ImportRow(
            line=i + 1,
            data={"text": t},
            external_id=f"r{i}",
            annotations=[{"result": {"sentiment": label}, "annotator": "ann0@example.org"}],
        )
        for i, (t, label) in enumerate(REVIEWS)
    ]
    with db.session() as s:
        items.import_rows(s, w.manager, w.project_id, rows, filename="reviews.jsonl")
    return w


def hashing_embed(texts):
    """A real (if plain) text embedding: hashed word counts, l2-normalised."""
    return HashingVectorizer(n_features=256).transform(list(texts)).toarray()


def opts(lm, method, **kw):
    return SynthOptions(method=method, base_url=lm.url, model="tiny-gpt2", max_tokens=12, **kw)


def provenance(db, project_id):
    with db.read_session() as s:
        return {
            r.item_id: r
            for r in s.query(SyntheticItem).filter(SyntheticItem.project_id == project_id)
        }


def test_self_instruct_stores_filtered_instructions_with_provenance(db, world, lm, tmp_path):
    real_ids = {str(i) for i in range(1, 100)}
    result = generate_into(
        db,
        world.manager,
        world.project_id,
        opts(lm, "self-instruct", n=5),
        checkpoint=tmp_path / "ckpt.jsonl",
    )
    assert result["items"] == 5 and result["seeds"] == len(REVIEWS)
    assert result["candidates"] == 5 + sum(result["rejected"].values())
    assert not (tmp_path / "ckpt.jsonl").exists()  # removed once stored
    prov = provenance(db, world.project_id)
    assert len(prov) == 5
    with db.read_session() as s:
        texts = {i.id: i.data["text"] for i in items.list_items(s, world.manager, world.project_id)}
    pool = [t for t, _ in REVIEWS]
    for item_id, p in prov.items():
        assert (p.method, p.model, p.prompt_version, p.generation) == (
            "self-instruct",
            "tiny-gpt2",
            "self-instruct/1",
            1,
        )
        assert p.verdict is None and 1 <= len(p.seed_ids) <= len(REVIEWS)
        assert set(p.seed_ids) <= real_ids
        text = texts[item_id]
        assert filters.self_instruct_heuristics(text) is None
        assert rouge_l_max(text, pool) < 0.7
        pool.append(text)


def test_a_resumed_run_sends_only_the_missing_requests(lm, tmp_path):
    seeds = [generate.SeedItem(str(i), t) for i, (t, _) in enumerate(REVIEWS)]
    gen = lambda: OpenAIChatGenerator(  # noqa: E731
        lm.url,
        "tiny-gpt2",
        n_responses=1,
        samplings=[Sampling(max_tokens=8)],
        checkpoint=tmp_path / "c.jsonl",
    )
    first = generate.self_instruct(gen(), seeds, n_instructions=3, batch=4, seed=7)
    before = lm.calls
    again = generate.self_instruct(gen(), seeds, n_instructions=3, batch=4, seed=7)
    assert lm.calls == before  # every answer came from the checkpoint
    assert [c.fields for c in again.candidates] == [c.fields for c in first.candidates]


def test_evol_instruct_counts_generations_up(db, world, lm):
    result = generate_into(
        db,
        world.manager,
        world.project_id,
        opts(lm, "evol-instruct", epochs=2, evolutions=["constraints", "breadth"]),
    )
    prov = provenance(db, world.project_id)
    assert result["items"] == len(prov) > 0
    gens = {p.generation for p in prov.values()}
    assert gens <= {1, 2}
    seeds = {str(i) for i in range(1, 100)}
    for p in prov.values():
        assert p.prompt_version == "evol-instruct/1" and len(p.seed_ids) == 1
        if p.generation == 1:
            assert p.seed_ids[0] in seeds
        else:  # evolved from an evolved instruction
            assert ">" in p.seed_ids[0]


def test_qa_keeps_only_grounded_answers(db, world, lm):
    doc = " ".join(CORPUS) * 3
    result = generate_into(
        db,
        world.manager,
        world.project_id,
        opts(lm, "qa", documents=[doc], chunk_size=300, overlap=50),
    )
    # random words never take the "Question: ... Answer: ..." form: nothing is stored
    assert result["candidates"] == len(generate.chunks(doc, size=300, overlap=50))
    assert result["items"] == 0 and result["rejected"] == {"unparsed": result["candidates"]}


def test_paraphrases_keep_the_label_as_a_synthetic_annotation(db, world, lm):
    seeds_ = None
    with db.read_session() as s:
        seeds_ = synth.seeds(
            s, world.manager, world.project_id, label_control="sentiment", labeled_only=True
        )
    assert [(x.text, x.label) for x in seeds_] == REVIEWS
    gen = OpenAIChatGenerator(
        lm.url, "tiny-gpt2", n_responses=1, samplings=[Sampling(max_tokens=10)]
    )
    run = generate.paraphrases(gen, seeds_, min_rouge=0.0)
    with db.session() as s:
        stored = synth.store_run(s, world.manager, world.project_id, run, label_control="sentiment")
    assert len(stored.item_ids) == len(run.kept) > 0
    with db.read_session() as s:
        labels = synth.current_labels(s, world.project_id, stored.item_ids, "sentiment")
        anns = s.query(items.Item).filter(items.Item.id.in_(stored.item_ids)).all()
        assert all("label" not in a.data for a in anns)
        from labelwell.store.tables import Annotation

        sources = {
            a.source for a in s.query(Annotation).filter(Annotation.item_id.in_(stored.item_ids))
        }
    assert sources == {"synthetic"}
    by_seed = {c.provenance.seed_ids[0]: c.fields["label"] for c in run.kept}
    prov = provenance(db, world.project_id)
    for item_id in stored.item_ids:
        assert labels[item_id] == by_seed[prov[item_id].seed_ids[0]]


def _make_synthetic(db, world, lm, n=4):
    generate_into(db, world.manager, world.project_id, opts(lm, "self-instruct", n=n))
    return sorted(provenance(db, world.project_id))


def test_verdicts_and_the_training_export_caps(db, world, lm):
    ids = _make_synthetic(db, world, lm)
    with db.session() as s:
        sel = synth_report.training_selection(s, world.manager, world.project_id)
    # nothing verified yet: only the 8 real items
    assert (sel.n_items, sel.n_synthetic, sel.excluded["unverified"]) == (8, 0, 4)
    with db.session() as s, pytest.raises(InvalidInput):
        synth.set_verdict(s, world.reviewer, world.project_id, ids[0], "fixed")
    with db.session() as s:
        synth.set_verdict(s, world.reviewer, world.project_id, ids[0], "verified")
        synth.set_verdict(
            s,
            world.reviewer,
            world.project_id,
            ids[1],
            "fixed",
            fixed={"text": "Name three rivers of Europe and their sources."},
        )
        synth.set_verdict(s, world.manager, world.project_id, ids[2], "rejected")
        # a second-generation item, verified: the default cap keeps it out
        s.get(SyntheticItem, ids[3]).generation = 2
        synth.set_verdict(s, world.reviewer, world.project_id, ids[3], "verified")
    with db.session() as s:
        from labelwell.errors import Forbidden

        with pytest.raises(Forbidden):
            synth.set_verdict(s, world.annotators[0], world.project_id, ids[0], "rejected")
    with db.session() as s:
        sel = synth_report.training_selection(s, world.manager, world.project_id)
        assert (sel.n_items, sel.n_synthetic) == (10, 2)
        assert sel.excluded == {
            "rejected": 1,
            "unverified": 0,
            "generation": 1,
            "near_duplicate": 0,
            "verbatim": 0,
        }
        projects.merge_settings(s, world.manager, world.project_id, {"synth_max_shift_auc": 0.9})
    with db.session() as s, pytest.raises(Conflict, match="no synthetic report"):
        synth_report.training_selection(s, world.manager, world.project_id)
    with db.session() as s:
        projects.merge_settings(s, world.manager, world.project_id, {"synth_max_shift_auc": None})
        rep = synth_report.report(s, world.manager, world.project_id, embed=hashing_embed)
    v = rep.verification
    assert (v.verified, v.fixed, v.rejected, v.pending) == (2, 1, 1, 0)
    # the data manager filters on provenance: synthetic at all, a generation, a verdict
    from labelwell.work.data_manager.query import TableQuery, count

    def selected(*filters):
        with db.read_session() as s:
            q = TableQuery.of(
                {
                    "filters": [
                        dict(zip(("column", "op", "value"), f, strict=False)) for f in filters
                    ]
                }
            )
            return count(s, world.manager, world.project_id, q)

    assert selected(("generation", "not_empty")) == 4
    assert selected(("generation", "empty")) == 8
    assert selected(("generation", "ge", 2)) == 1
    assert selected(("synth_verdict", "eq", "verified")) == 2
    assert v.verify_rate == pytest.approx(0.5) and v.error_rate == pytest.approx(0.5)
    assert rep.by_generation == {1: 3, 2: 1}
    with db.session() as s:
        projects.merge_settings(s, world.manager, world.project_id, {"synth_max_share": 0.1})
    with db.session() as s, pytest.raises(Conflict, match="synth_max_share"):
        synth_report.training_selection(s, world.manager, world.project_id)
    with db.session() as s:
        sel = synth_report.training_selection(
            s, world.manager, world.project_id, override_reason="ablation run 12"
        )
        assert (sel.n_items, sel.n_synthetic) == (11, 3)  # the generation cap lifted too
    with db.read_session() as s:
        entry = s.query(AuditEntry).filter(AuditEntry.action == "synth.export.override").one()
        assert entry.details["reason"] == "ablation run 12"


def test_report_flags_duplicates_copies_and_shift(db, world, lm):
    ids = _make_synthetic(db, world, lm, n=3)
    # a near copy of a real review, and a copy of the reference corpus
    with db.session() as s:
        s.get(items.Item, ids[0]).data = {"text": REVIEWS[0][0] + "!"}
        s.get(items.Item, ids[1]).data = {"text": "Quote: " + CORPUS[2] + " " + CORPUS[3]}
    with db.session() as s:
        rep = synth_report.report(
            s,
            world.manager,
            world.project_id,
            embed=hashing_embed,
            label_control="sentiment",
            references=["x " + CORPUS[2] + " " + CORPUS[3] + " y"],
            n_permutations=50,
        )
    dups = {d.item_id: d for d in rep.duplicates}
    assert dups[ids[0]].against == "real" and dups[ids[0]].of_item_id == 1
    assert [(c.item_id, c.excerpt) for c in rep.copies] == [
        (ids[1], " " + CORPUS[2] + " " + CORPUS[3])
    ]  # maximal: the space before too
    assert rep.shift[0].label is None and rep.shift[0].n_real == 8 and rep.shift[0].n_synthetic == 3
    assert 0 <= rep.shift[0].p_value <= 1 and 0 <= rep.shift[0].auc <= 1
    assert rep.plot_svg.count("<circle") == 11
    prov = provenance(db, world.project_id)
    assert prov[ids[0]].flags["near_duplicate"]["of"] == 1
    assert prov[ids[1]].flags["verbatim"][0]["reference"] == 0
    with db.session() as s:
        for i in ids:
            synth.set_verdict(s, world.manager, world.project_id, i, "verified")
    with db.session() as s:
        sel = synth_report.training_selection(s, world.manager, world.project_id)
        assert sel.n_synthetic == 1
        assert sel.excluded["near_duplicate"] == 1 and sel.excluded["verbatim"] == 1
        projects.merge_settings(s, world.manager, world.project_id, {"synth_max_shift_auc": 0.5})
    auc = rep.shift[0].auc
    with db.session() as s:
        if auc > 0.5:  # the cap is under the last report's AUC
            with pytest.raises(Conflict, match="classifier AUC"):
                synth_report.training_selection(s, world.manager, world.project_id)
        else:
            assert synth_report.training_selection(s, world.manager, world.project_id).n_synthetic
        projects.merge_settings(
            s, world.manager, world.project_id, {"synth_max_shift_auc": max(0.5, auc)}
        )
    with db.session() as s:
        assert synth_report.training_selection(s, world.manager, world.project_id).n_synthetic == 1


def test_routes_sdk_and_job(db, world, lm, settings):
    with TestClient(create_app(settings, database=db, migrate=False)) as api:
        boss = Client("http://testserver", world.token(world.manager), transport=Via(api))
        job = boss.synth_generate(
            world.project_id,
            "self-instruct",
            base_url=lm.url,
            model="tiny-gpt2",
            n=3,
            max_tokens=10,
        )
        assert job["kind"] == "synth_generate"
        assert jobs.work(db, settings.home, once=True) == 1
        done = api.get(
            f"/api/v1/jobs/{job['id']}",
            headers={"Authorization": f"Bearer {world.token(world.manager)}"},
        ).json()
        assert done["state"] == "done" and done["result"]["items"] == 3
        listed = boss.synth_items(world.project_id, verdict="none")
        assert len(listed) == 3 and listed[0]["model"] == "tiny-gpt2"
        rev = Client("http://testserver", world.token(world.reviewer), transport=Via(api))
        out = rev.synth_verdict(world.project_id, listed[0]["item_id"], "verified")
        assert out["verdict"] == "verified"
        ann = Client("http://testserver", world.token(world.annotators[0]), transport=Via(api))
        from labelwell.errors import Forbidden

        with pytest.raises(Forbidden):
            ann.synth_items(world.project_id)
        r = api.post(
            f"/api/v1/projects/{world.project_id}/synth/items/{listed[1]['item_id']}/verdict",
            json={"verdict": "maybe"},
            headers={"Authorization": f"Bearer {world.token(world.manager)}"},
        )
        assert r.status_code == 422 and "verdict" in r.text
        rep = boss.synth_report(world.project_id, references=["nothing to copy here"])
        assert rep["n_synthetic"] == 3 and rep["verification"]["verified"] == 1
        path = boss.synth_export(world.project_id, settings.home / "train.jsonl")
        lines = [json.loads(x) for x in path.read_text().splitlines()]
        assert len(lines) == 9  # 8 real + the verified one
        boss.update_settings(world.project_id, synth_max_share=0.05)
        with pytest.raises(Conflict, match="synth_max_share"):
            boss.synth_export(world.project_id, settings.home / "refused.jsonl")
        boss.synth_export(
            world.project_id, settings.home / "train2.jsonl", override_reason="a small ablation"
        )
        assert len((settings.home / "train2.jsonl").read_text().splitlines()) == 9


def test_cli_commands(db, world, lm, settings, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path))
    monkeypatch.setenv("LABELWELL_USER", world.manager.email)
    runner = CliRunner()
    r = runner.invoke(
        cli,
        [
            "synth",
            "self-instruct",
            str(world.project_id),
            "--base-url",
            lm.url,
            "--model",
            "tiny-gpt2",
            "--n",
            "2",
            "--max-tokens",
            "10",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "added 2 synthetic items" in r.output
    ids = sorted(provenance(db, world.project_id))
    r = runner.invoke(cli, ["synth", "verdict", str(world.project_id), str(ids[0]), "verified"])
    assert r.exit_code == 0, r.output
    ref = tmp_path / "ref.txt"
    ref.write_text("some reference text that nobody copies, long enough to matter here")
    r = runner.invoke(
        cli,
        ["synth", "report", str(world.project_id), "--no-embed", "--reference", str(ref), "--json"],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["verification"]["verified"] == 1
    out = tmp_path / "train.jsonl"
    r = runner.invoke(cli, ["synth", "export", str(world.project_id), str(out)])
    assert r.exit_code == 0, r.output
    assert "wrote 9 items (1 synthetic)" in r.output
    r = runner.invoke(
        cli,
        [
            "synth",
            "paraphrase",
            str(world.project_id),
            "--base-url",
            lm.url,
            "--model",
            "tiny-gpt2",
            "--label-control",
            "nope",
        ],
    )
    assert r.exit_code == 2 and "nope" in r.output
