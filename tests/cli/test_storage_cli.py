"""`labelwell storage`: add a connection, sync it twice, export to it and import
from it, against a real S3-compatible server (moto's standalone server)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import storage_server
from labelwell.cli import app
from labelwell.store.tables import Item
from storage_server import ACCESS_KEY, SECRET_KEY

s3_server = storage_server.s3_server
s3 = storage_server.s3

runner = CliRunner()


@pytest.fixture
def env(db, tmp_path, monkeypatch):
    monkeypatch.setenv("LABELWELL_DATABASE_URL", db.url)
    monkeypatch.setenv("LABELWELL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABELWELL_USER", raising=False)
    config = tmp_path / "onto.yaml"
    config.write_text("name: r\ncontrols:\n  - {name: s, type: choice, source: url,"
                      " options: [a, b]}\n")
    for args in (["init"], ["project", "create", "pics", "--config", str(config)]):
        assert runner.invoke(app, args).exit_code == 0
    return tmp_path


def run(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_add_sync_export_import(env, db, s3):
    s3.make_bucket("raw")
    fs = s3.filesystem()
    for key in ["a.png", "b.png", "c.txt"]:
        fs.pipe(f"raw/in/{key}", b"x")
    creds = env / "creds.json"
    creds.write_text(json.dumps(s3.credentials()))
    out = run("storage", "add", "pics", "bucket", "s3://raw/in", "-o",
              f"endpoint_url={s3.endpoint}", "-o", "glob=*.png",
              "--credentials-file", str(creds)).output
    assert "connected 'pics' to s3://raw/in" in out
    listing = run("storage", "list", "pics").output
    assert "credentials: key, secret" in listing
    assert SECRET_KEY not in listing and ACCESS_KEY not in listing

    assert "2 new, 2 items added" in run("storage", "sync", "pics", "bucket").output
    assert "0 new, 0 items added" in run("storage", "sync", "pics", "bucket").output
    with db.read_session() as s:
        assert sorted(i.data["url"] for i in s.query(Item)) == [
            "s3://raw/in/a.png", "s3://raw/in/b.png"]

    out = run("storage", "export", "pics", "s3://raw/in/out/labels.jsonl").output
    assert "exported 2 items to s3://raw/in/out/labels.jsonl" in out
    assert len(fs.cat("raw/in/out/labels.jsonl").splitlines()) == 2

    fs.pipe("raw/in/more.jsonl", b'{"data": {"url": "https://example.org/c.png"}}\n')
    assert "imported 1 items" in run("storage", "import", "pics", "s3://raw/in/more.jsonl").output

    outside = run("storage", "export", "pics", "s3://elsewhere/x.jsonl", ok=False)
    assert outside.exit_code == 2 and "no storage connection" in outside.output
    assert SECRET_KEY not in outside.output
    bad = run("storage", "add", "pics", "x", "s3://raw/y", "-o", "colour=red", ok=False)
    assert bad.exit_code == 2 and "options: unknown colour" in bad.output


def test_import_and_export_take_storage_urls(env, db, s3):
    s3.make_bucket("team")
    creds = env / "creds.json"
    creds.write_text(json.dumps(s3.credentials()))
    run("storage", "add", "pics", "team", "s3://team/data", "-o", f"endpoint_url={s3.endpoint}",
        "--credentials-file", str(creds))
    fs = s3.filesystem()
    fs.pipe("team/data/batch.jsonl", b'{"data": {"url": "https://example.org/a.png"}}\n'
                                     b'{"data": {"url": "https://example.org/b.png"}}\n')
    assert "imported 2 items" in run("import", "pics", "s3://team/data/batch.jsonl").output
    out = run("export", "pics", "--to", "s3://team/data/exports/").output
    assert "exported 2 items to s3://team/data/exports/pics-" in out
    (written,) = fs.ls("team/data/exports")
    assert written.endswith(".jsonl") and len(fs.cat(written).splitlines()) == 2

    both = run("export", "pics", "--to", "s3://team/data/x.jsonl", "-o", str(env / "x"), ok=False)
    assert both.exit_code == 2 and "either --output FILE or --to URL" in both.output
    missing = run("import", "pics", str(env / "nothing.jsonl"), ok=False)
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    outside = run("import", "pics", "s3://other/batch.jsonl", ok=False)
    assert outside.exit_code == 2 and "no storage connection" in outside.output
