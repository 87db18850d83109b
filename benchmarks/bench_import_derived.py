"""Import speed with the values the database derives from imported rows: the
full-text search text (SQLite) and the items' label columns.

Imports ``--items`` rows of the data manager's benchmark project (text of 12
words; a third with two answers, half with a model prediction) into a fresh
database through ``imports.import_rows`` (the chunked path of ``labelwell
import`` and the upload route: each chunk its own transaction, published at
the end) and reports items per second, then checks that a search right after
the import finds them.

    .venv/bin/python benchmarks/bench_import_derived.py --items 100000
    .venv/bin/python benchmarks/bench_import_derived.py --items 100000 \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/bench_import
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _data_manager import ONTOLOGY, import_rows  # noqa: E402

from labelwell.store.db import Database  # noqa: E402
from labelwell.store.migrate import upgrade  # noqa: E402
from labelwell.work import accounts, imports, projects  # noqa: E402
from labelwell.work import data_manager as dm  # noqa: E402
from labelwell.work.actors import Actor  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--url", help="a database to use (default: a fresh SQLite file)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    db = Database(url)
    upgrade(db)
    with db.session() as s:
        admin = Actor.of(accounts.create_user(s, f"bench-{time.time_ns()}@x.org", role="admin"))
        pid = projects.create_project(
            s, admin, f"import-{time.time_ns()}", ONTOLOGY, gold_ratio=0.0, overlap=2
        ).id
    start = time.perf_counter()
    rows = import_rows(args.items)
    imports.import_rows(db, admin, pid, rows, filename="b.jsonl", batch_size=10_000)
    seconds = time.perf_counter() - start
    with db.read_session() as s:
        found = dm.count(s, admin, pid, dm.TableQuery(search="#0"))
    out = {
        "database": db.dialect,
        "items": args.items,
        "seconds": round(seconds, 2),
        "items_per_s": round(args.items / seconds),
        "search_finds_first_item": found >= 1,
    }
    print(json.dumps(out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
