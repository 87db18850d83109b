"""The data manager part of ``bench_web.py``: a project of ``n`` items (text
from a small vocabulary, Korean words included; a third with two human
answers, so done; half with a model prediction; one in twenty sent to review),
then timed in chromium:

* first page: from navigation to the table's rows shown (the page with its
  boot data, which holds the first rows), on Playwright's clock
  (``first_page``: ``goto`` and the wait for the rows) and on the page's own
  (``first_page_shown``: navigation start to the rows in the document);
* filter + sort: from the control's change to the new rows shown, on the
  page's own clock, for a mix of sorts and filters, repeated; the item count
  is asked for alongside and not waited for.

The items are written in bulk into the tables the app uses, after
``upgrade``: chunks of 100,000 rows in one transaction each (an executemany on
SQLite, ``COPY`` on PostgreSQL), under an import in its ``writing`` state, so
the database's per-row triggers skip them and the label columns and SQLite's
full-text entries are derived per chunk by the app's own statements
(:func:`labelwell.store.derived.fill_written`), as an import does; then the
import is published.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session

from labelwell.formats.registry import ImportRow
from labelwell.store import derived
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from labelwell.store.tables import Import, Project
from labelwell.work import accounts, projects
from labelwell.work.actors import Actor

PROJECT = "bench-data-manager"
MANAGER = "dm-manager@bench.labelwell"
PASSWORD = "bench-data-manager-1"
WORDS = (
    "delivery",
    "quality",
    "price",
    "support",
    "refund",
    "broken",
    "fast",
    "slow",
    "great",
    "awful",
    "battery",
    "screen",
    "서울",
    "배송",
    "품질",
    "가격",
)
ONTOLOGY = {
    "name": "dm",
    "controls": [
        {
            "name": "sentiment",
            "type": "choice",
            "source": "text",
            "options": ["pos", "neg", "neu"],
            "required": True,
        }
    ],
}


#: rows written per transaction
CHUNK = 100_000
#: the PostgreSQL schema the benchmark writes into (dropped after)
SCHEMA = "bench_data_manager"
LABELS = ("pos", "neg", "neu")
_ITEM_COLUMNS = (
    "id, project_id, external_id, data, media, status, priority, is_gold, n_active, n_done,"
    " review_state, import_id, created_at"
)
_ANSWER_COLUMNS = (
    "item_id, project_id, source, agent, result, time_spent_ms, status, is_gold_check,"
    " revision, is_current, details, created_at"
)
_PREDICTION_COLUMNS = (
    "item_id, project_id, source, model_name, model_version, result, score, created_at"
)


@contextlib.contextmanager
def scratch_postgres(base: str | None = None) -> Iterator[str]:
    """A URL into a new schema of its own in PostgreSQL, dropped on the way out."""
    base = base or os.environ.get(
        "LABELWELL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{SCHEMA}"
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()


def _item(
    rng: random.Random, i: int
) -> tuple[str, list[tuple[str, int]], tuple[str, float] | None]:
    """Item ``i``'s text, its two human answers (a third of the items: label
    and time spent) and its model prediction (half: label and score)."""
    text_ = " ".join(rng.choice(WORDS) for _ in range(12)) + f" #{i}"
    answers: list[tuple[str, int]] = []
    if i % 3 == 0:
        first_answer = rng.choice(LABELS)
        second = first_answer if rng.random() < 0.7 else rng.choice(LABELS)
        answers = [(label, rng.randint(2000, 30000)) for label in (first_answer, second)]
    prediction = (rng.choice(LABELS), round(rng.random(), 4)) if i % 2 == 0 else None
    return text_, answers, prediction


def import_rows(n: int, seed_: int = 7) -> Iterator[ImportRow]:
    """The same items as rows for ``imports.import_rows`` (the import path)."""
    rng = random.Random(seed_)
    for i in range(n):
        text_, answers, prediction = _item(rng, i)
        yield ImportRow(
            line=i + 1,
            data={"text": text_},
            annotations=[
                {
                    "result": {"sentiment": label},
                    "annotator": f"vendor{k}@bench.org",
                    "time_spent_ms": spent,
                }
                for k, (label, spent) in enumerate(answers)
            ],
            predictions=[]
            if prediction is None
            else [
                {
                    "model": "bench-model",
                    "result": {"sentiment": prediction[0]},
                    "score": prediction[1],
                }
            ],
        )


def _chunk(
    rng: random.Random, first: int, n: int, project_id: int, import_id: int, now: datetime
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Items ``first .. first + n - 1``: their rows, answers and predictions."""
    items, answers, predictions = [], [], []
    details = orjson.dumps({"import_id": import_id}).decode()
    for item_id in range(first, first + n):
        text_, item_answers, prediction = _item(rng, item_id)
        done = len(item_answers)
        # one item a second, the newest last: "created" sorts like the ids
        created = now - timedelta(seconds=10_000_000 - item_id)
        if item_answers:
            for k, (label, spent) in enumerate(item_answers):
                answers.append(
                    (
                        item_id,
                        project_id,
                        "human",
                        f"vendor{k}@bench.org",
                        orjson.dumps({"sentiment": label}).decode(),
                        spent,
                        "submitted",
                        False,
                        1,
                        True,
                        details,
                        created,
                    )
                )
        if prediction is not None:
            predictions.append(
                (
                    item_id,
                    project_id,
                    "model",
                    "bench-model",
                    "",
                    orjson.dumps({"sentiment": prediction[0]}).decode(),
                    prediction[1],
                    created,
                )
            )
        items.append(
            (
                item_id,
                project_id,
                None,
                orjson.dumps({"text": text_}).decode(),
                "[]",
                "done" if done else "open",
                0.0,
                False,
                done,
                done,
                "review" if done and item_id % 20 == 0 else None,
                import_id,
                created,
            )
        )
    return items, answers, predictions


def _write_sqlite(s: Session, rows: tuple[list[tuple[Any, ...]], ...]) -> None:
    items, answers, predictions = rows
    conn = s.connection()
    for table, columns, data in (
        ("items", _ITEM_COLUMNS, items),
        ("annotations", _ANSWER_COLUMNS, answers),
        ("predictions", _PREDICTION_COLUMNS, predictions),
    ):
        if not data:
            continue
        marks = ", ".join("?" * (columns.count(",") + 1))
        # SQLite keeps the app's timestamps as text without a zone
        stamped = [(*r[:-1], r[-1].strftime("%Y-%m-%d %H:%M:%S.%f")) for r in data]
        conn.exec_driver_sql(f"INSERT INTO {table} ({columns}) VALUES ({marks})", stamped)


def _write_postgres(s: Session, rows: tuple[list[tuple[Any, ...]], ...]) -> None:
    items, answers, predictions = rows
    raw = s.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        for table, columns, data in (
            ("items", _ITEM_COLUMNS, items),
            ("annotations", _ANSWER_COLUMNS, answers),
            ("predictions", _PREDICTION_COLUMNS, predictions),
        ):
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
            # without statistics the planner derives each item's prediction by
            # reading ``predictions`` backwards by id (minutes a chunk)
            cursor.execute(f"ANALYZE {table}")


def seed(url: str, n: int, seed_: int = 7) -> tuple[int, float]:
    """Store the project; returns its id and the items written per second."""
    db = Database(url)
    upgrade(db)
    with db.session() as s:
        admin = accounts.create_user(s, "dm-admin@bench.labelwell", role="admin")
        manager = accounts.create_user(s, MANAGER, role="manager", password=PASSWORD)
        actor = Actor.of(admin)
        project = projects.create_project(s, actor, PROJECT, ONTOLOGY, gold_ratio=0.0, overlap=2)
        projects.set_member(s, actor, project.id, manager.id, "manager")
        record = Import(
            project_id=project.id,
            filename="bench.jsonl",
            format="jsonl",
            created_by=admin.id,
            state="writing",
        )
        s.add(record)
        s.flush()
        pid, import_id = project.id, record.id
    rng = random.Random(seed_)
    now = datetime.now(UTC)
    postgres = db.dialect == "postgresql"
    start = time.perf_counter()
    with db.session() as s:
        first = int(s.scalar(text("SELECT coalesce(max(id), 0) FROM items")) or 0) + 1
    for offset in range(0, n, CHUNK):
        size = min(CHUNK, n - offset)
        rows = _chunk(rng, first + offset, size, pid, import_id, now)
        with db.session() as s:
            (_write_postgres if postgres else _write_sqlite)(s, rows)
            derived.fill_written(s, import_id, first + offset, first + offset + size - 1)
        db.checkpoint()
    with db.session() as s:
        s.execute(update(Import).where(Import.id == import_id).values(state="published", n_items=n))
        if postgres:  # the ids were given: the sequence goes past them
            for table in ("items", "annotations", "predictions"):
                s.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" coalesce(max(id), 1)) FROM {table}"
                    )
                )
    rate = n / (time.perf_counter() - start)
    with db.engine.connect() as conn:  # as autovacuum would soon after a bulk write
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE" if postgres else "ANALYZE"
        )
    db.dispose()
    return pid, rate


def seeded_project(url: str) -> int:
    """The id of the project :func:`seed` wrote into ``url`` before."""
    db = Database(url)
    with db.read_session() as s:
        pid = s.scalar(select(Project.id).where(Project.name == PROJECT))
    db.dispose()
    if pid is None:
        raise SystemExit(f"{url}: no {PROJECT!r} project; seed it first")
    return int(pid)


def _loads(page: Any) -> str:
    return str(page.evaluate("document.body.dataset.loads || ''"))


def _wait_after(page: Any, before: str) -> None:
    page.wait_for_selector(
        f"body[data-loads]:not([data-loads='{before}'])", state="attached", timeout=120_000
    )


#: (name, steps): each step is (selector, how, value) run on the page
SCENARIOS: list[tuple[str, list[tuple[str, str, Any]]]] = [
    ("filter status done", [("filter", "status", "done")]),
    ("filter review_state review", [("filter", "review_state", "review")]),
    ("search two words", [("#dm-search", "fill", "refund battery")]),
    ("sort created desc", [("#dm-sort", "select", "created"), ("#dm-desc", "check", True)]),
    (
        "filter status done, sort id desc",
        [("filter", "status", "done"), ("#dm-sort", "select", "id"), ("#dm-desc", "check", True)],
    ),
    (
        "filter review_state review, sort agreement desc",
        [
            ("filter", "review_state", "review"),
            ("#dm-sort", "select", "agreement"),
            ("#dm-desc", "check", True),
        ],
    ),
    (
        "search word, sort uncertainty",
        [("#dm-search", "fill", "refund battery"), ("#dm-sort", "select", "uncertainty")],
    ),
    (
        "search word, sort agreement",
        [("#dm-search", "fill", "배송 price"), ("#dm-sort", "select", "agreement")],
    ),
    (
        "sort uncertainty desc (all items)",
        [("#dm-sort", "select", "uncertainty"), ("#dm-desc", "check", True)],
    ),
    (
        "sort answers desc (all items)",
        [("#dm-sort", "select", "annotations"), ("#dm-desc", "check", True)],
    ),
]


DEFAULT_LAYOUT = {
    "columns": [
        "id",
        "data",
        "status",
        "annotations",
        "agreement",
        "consensus",
        "gold",
        "model",
        "score",
        "uncertainty",
        "review_state",
        "last_annotator",
        "time_spent",
        "created",
    ],
    "filters": [],
    "sort": "id",
    "descending": False,
    "search": "",
}
_PUT_LAYOUT = """async ([pid, layout]) => {
  const csrf = document.querySelector('meta[name=csrf-token]').content;
  await fetch(`/api/v1/projects/${pid}/data/layout`, {method: 'PUT', body: JSON.stringify(layout),
    headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf}});
}"""


def _prepare(page: Any, pid: int) -> None:
    """Put the default layout back (the page remembers the last one)."""
    if f"/projects/{pid}/data" in page.url:
        page.wait_for_timeout(500)  # let the page's own layout save (400 ms) go first
        page.evaluate(_PUT_LAYOUT, [pid, DEFAULT_LAYOUT])


def _open(page: Any, pid: int) -> None:
    page.goto(f"/projects/{pid}/data")
    page.wait_for_selector("body[data-loads='1']", state="attached", timeout=120_000)


def _reset(page: Any, pid: int) -> None:
    _prepare(page, pid)
    _open(page, pid)


def _step(page: Any, step: tuple[str, str, Any]) -> None:
    selector, how, value = step
    before = _loads(page)
    if selector == "filter":  # how: a column whose values are choices
        page.click("#dm-add-filter")  # status = open by default
        _wait_after(page, before)
        if how != "status":
            before = _loads(page)
            page.select_option("#dm-filters .dm-filter select >> nth=0", how)
            _wait_after(page, before)
        before = _loads(page)
        page.select_option("#dm-filters .dm-filter select >> nth=2", value)
    elif how == "select":
        if page.input_value(selector) == value:
            return
        page.select_option(selector, value)
    elif how == "check":
        if page.is_checked(selector) == value:
            return
        page.check(selector) if value else page.uncheck(selector)
    else:
        page.fill(selector, value)
    _wait_after(page, before)


def measure(page: Any, pid: int, repeats: int) -> dict[str, list[float]]:
    """Milliseconds: ``first_page`` samples and one list per scenario (its last step)."""
    out: dict[str, list[float]] = {"first_page": [], "first_page_shown": []}
    page.add_init_script(_SHOWN)
    _reset(page, pid)
    for _ in range(repeats):
        _prepare(page, pid)
        start = time.perf_counter()
        _open(page, pid)
        out["first_page"].append((time.perf_counter() - start) * 1000)
        out["first_page_shown"].append(page.evaluate("window.__firstShown"))
    for name, steps in SCENARIOS:
        out[name] = []
        for _ in range(repeats):
            _reset(page, pid)
            for step in steps[:-1]:
                _step(page, step)
            start = page.evaluate(_WATCH)
            _step(page, steps[-1])
            out[name].append(page.evaluate("window.__shown") - start)
    return out


#: the page's own clock from the navigation's start to the first rows shown
#: (``first_page`` adds Playwright's own wait: the load event and a selector
#: wait, 150 to 250 ms of it at load 8 to 10 on 2 cores)
_SHOWN = """
new MutationObserver(() => {
  if (window.__firstShown === undefined && document.body?.dataset.loads === "1") {
    window.__firstShown = performance.now();
  }
}).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-loads"] });
"""


#: the page's own clock from the control's change to the rows of its last
#: load shown: Playwright's wait notices the change later than it happens
#: (0.4 s later after a search typed, as measured)
_WATCH = """() => {
  window.__shown = performance.now();
  new MutationObserver(() => { window.__shown = performance.now(); })
    .observe(document.body, { attributes: true, attributeFilter: ["data-loads"] });
  return performance.now();
}"""
