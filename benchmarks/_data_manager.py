"""The data manager part of ``bench_web.py``: a project of ``n`` items (text
from a small vocabulary, Korean words included; a third with two imported
answers, half with a model prediction) stored through the import path, then
timed in chromium:

* first page: from navigation to the table's rows shown (page, boot data and
  the first ``POST /data/items`` included);
* filter + sort: from the control's change to the new rows shown, for a mix of
  sorts and filters, repeated; the item count is asked for alongside and not
  waited for.
"""

from __future__ import annotations

import random
import time
from typing import Any

from labelwell.formats.registry import ImportRow
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from labelwell.store.tables import User
from labelwell.work import accounts, items, projects
from labelwell.work.actors import Actor

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


def _rows(n: int, seed: int = 7) -> Any:
    rng = random.Random(seed)
    labels = ("pos", "neg", "neu")
    for i in range(n):
        text = " ".join(rng.choice(WORDS) for _ in range(12)) + f" #{i}"
        answers = []
        if i % 3 == 0:
            first = rng.choice(labels)
            second = first if rng.random() < 0.7 else rng.choice(labels)
            answers = [
                {
                    "result": {"sentiment": a},
                    "annotator": f"vendor{k}@bench.org",
                    "time_spent_ms": rng.randint(2000, 30000),
                }
                for k, a in enumerate((first, second))
            ]
        predictions = []
        if i % 2 == 0:
            predictions = [
                {
                    "model": "bench-model",
                    "result": {"sentiment": rng.choice(labels)},
                    "score": round(rng.random(), 4),
                }
            ]
        yield ImportRow(
            line=i + 1, data={"text": text}, annotations=answers, predictions=predictions
        )


def seed(url: str, n: int) -> tuple[int, float]:
    """Store the project; returns its id and the import's items per second."""
    db = Database(url)
    upgrade(db)
    with db.session() as s:
        admin = accounts.create_user(s, "dm-admin@bench.labelwell", role="admin")
        manager = accounts.create_user(s, MANAGER, role="manager", password=PASSWORD)
        actor = Actor.of(admin)
        project = projects.create_project(
            s, actor, "bench-data-manager", ONTOLOGY, gold_ratio=0.0, overlap=2
        )
        projects.set_member(s, actor, project.id, manager.id, "manager")
        pid = project.id
    start = time.perf_counter()
    with db.session() as s:
        admin_actor = Actor.of(s.query(User).filter_by(email="dm-admin@bench.labelwell").one())
        items.import_rows(s, admin_actor, pid, _rows(n), filename="bench.jsonl", batch_size=10_000)
    rate = n / (time.perf_counter() - start)
    if db.dialect == "postgresql":  # as autovacuum would soon after a bulk import
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    db.dispose()
    return pid, rate


def _loads(page: Any) -> str:
    return str(page.evaluate("document.body.dataset.loads || ''"))


def _wait_after(page: Any, before: str) -> None:
    page.wait_for_selector(
        f"body[data-loads]:not([data-loads='{before}'])", state="attached", timeout=120_000
    )


#: (name, steps): each step is (selector, how, value) run on the page
SCENARIOS: list[tuple[str, list[tuple[str, str, Any]]]] = [
    ("sort created desc", [("#dm-sort", "select", "created"), ("#dm-desc", "check", True)]),
    (
        "filter status done, sort id desc",
        [("filter", "status", "done"), ("#dm-sort", "select", "id"), ("#dm-desc", "check", True)],
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
    if selector == "filter":
        page.click("#dm-add-filter")  # status = open by default
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
    out: dict[str, list[float]] = {"first_page": []}
    _reset(page, pid)
    for _ in range(repeats):
        _prepare(page, pid)
        start = time.perf_counter()
        _open(page, pid)
        out["first_page"].append((time.perf_counter() - start) * 1000)
    for name, steps in SCENARIOS:
        out[name] = []
        for _ in range(repeats):
            _reset(page, pid)
            for step in steps[:-1]:
                _step(page, step)
            start = time.perf_counter()
            _step(page, steps[-1])
            out[name].append((time.perf_counter() - start) * 1000)
    return out
