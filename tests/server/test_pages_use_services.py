"""The web pages show what the API's services compute, and refuse as the API
does: the review page is a page of ``GET /review-queue?state=submitted`` (any
number of items, in the same order), the console's charts are the stats
service's numbers, and every page's refusal is the policy's (SQLite and, when
configured, PostgreSQL)."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from labelwell.formats.registry import ImportRow
from labelwell.server import create_app
from labelwell.server.web.session import SESSION_COOKIE
from labelwell.store.tables import Annotation
from labelwell.work import items, queue, stats
from world import build_world

POS, NEG = {"sentiment": "positive"}, {"sentiment": "negative"}


@pytest.fixture
def api(db, settings):
    with TestClient(create_app(settings, database=db, migrate=False)) as client:
        yield client


def page_of(api, world, actor, path: str):
    return api.get(path, cookies={SESSION_COOKIE: world.token(actor)})


def call(api, world, actor, method: str, path: str, **kw):
    headers = {"Authorization": f"Bearer {world.token(actor)}"}
    return api.request(method, f"/api/v1{path}", headers=headers, **kw)


def boot_of(text: str) -> dict:
    found = re.search(r'<script[^>]*id="boot"[^>]*>(.*?)</script>', text, re.S)
    assert found, text[:500]
    return json.loads(found.group(1))


def test_the_review_page_lists_the_review_queue_past_the_old_cap(api, db):
    """5,100 items awaiting review (the page used to read 5,000 annotations and
    show 200 items): page by page, the review page and the API list the same
    items in the same order, the disagreements (some past 5,000) first."""
    world = build_world(db, n_items=0, texts=["unused"])
    split = {7, 5010, 5099}
    rows = [
        ImportRow(
            line=i + 1,
            data={"text": f"t{i}"},
            annotations=[
                {"result": r, "annotator": f"v{k}"}
                for k, r in enumerate([POS, NEG] if i in split else [POS])
            ],
        )
        for i in range(5100)
    ]
    with db.session() as s:
        items.import_rows(s, world.manager, world.project_id, rows, filename="big.jsonl")
    pid = world.project_id

    shown, cursor = [], None
    while True:
        path = f"/projects/{pid}/review" + (f"?cursor={cursor}" if cursor else "")
        page = page_of(api, world, world.reviewer, path)
        assert page.status_code == 200, page.text[:300]
        queue_page = boot_of(page.text)["queue"]
        shown += [(e["id"], e["disagree"]) for e in queue_page["data"]]
        cursor = queue_page["next_cursor"]
        if not cursor:
            break
    listed, cursor = [], None
    while True:
        params = {"state": "submitted", "limit": 500, **({"cursor": cursor} if cursor else {})}
        r = call(api, world, world.reviewer, "GET", f"/projects/{pid}/review-queue", params=params)
        assert r.status_code == 200, r.text
        listed += [(e["id"], e["disagree"]) for e in r.json()["data"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break

    assert shown == listed
    assert len(shown) == 5100 and len({i for i, _ in shown}) == 5100
    assert [d for _, d in shown[:3]] == [True] * 3 and not any(d for _, d in shown[3:])
    ids = [i for i, _ in shown]
    assert ids[:3] == sorted(ids[:3]) and ids[3:] == sorted(ids[3:])
    bad = page_of(api, world, world.reviewer, f"/projects/{pid}/review?cursor=nonsense")
    assert bad.status_code == 422 and "cursor" in bad.text


def _bars(svg: str) -> dict[str, float]:
    return {
        html.unescape(label): float(value)
        for label, value in re.findall(r"<rect [^>]*><title>(.*?): ([0-9.]+)</title>", svg)
    }


def test_the_console_charts_are_the_stats_services_numbers(api, db):
    world = build_world(db, n_annotators=3, n_items=6, overlap=2)
    for n, actor in enumerate(world.annotators):
        for k in range(n + 1):  # 1, 2 and 3 answers: medians 1.0, 1.6 and 2.2 s
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                spent = 1000 + 500 * n + 200 * k
                queue.submit(s, actor, task.assignment_id, POS, time_spent_ms=spent)
    with db.session() as s:  # spread the answers over two hours
        rows = s.scalars(select(Annotation).order_by(Annotation.id)).all()
        for minutes, a in zip((120, 119, 90, 60, 59, 30), rows, strict=False):
            a.created_at = a.created_at - timedelta(minutes=minutes)
        made = sorted(a.created_at for a in rows if a.is_current)
    page = page_of(api, world, world.manager, f"/projects/{world.project_id}/manage")
    assert page.status_code == 200, page.text[:300]
    figures = dict(
        re.findall(r"<figure><figcaption>(.*?)</figcaption>(<svg.*?</svg>)</figure>", page.text)
    )
    with db.read_session() as s:
        st = stats.project_stats(s, world.manager, world.project_id)
        timeline = stats.annotation_timeline(s, world.manager, world.project_id)

    assert _bars(figures["Items by status"]) == st.by_status
    assert _bars(figures["Submitted per annotator"]) == {
        a.email: a.submitted for a in st.annotators
    } == {a.email: n + 1 for n, a in enumerate(world.annotators)}
    assert _bars(figures["Median seconds per task"]) == {
        a.email: (a.median_time_ms or 0) / 1000 for a in st.annotators
    } == dict(zip([a.email for a in world.annotators], (1.0, 1.6, 2.2), strict=True))
    over_time = figures["Annotations over time"]
    # six answers and two consensus labels (two items reached their overlap)
    assert f">{st.annotations}</text>" in over_time and timeline.total == st.annotations == 8
    points = re.search(r'<polygon points="([^"]+)"', over_time)[1].split()
    heights = [float(p.split(",")[1]) for p in points[1:-1]]  # 160 high, 28 padding
    running = [round((132 - y) / 104 * timeline.total) for y in heights]
    assert running == [n for _, n in timeline.cumulative()] and running[-1] == 8
    # counted again here from the stored times, to the second the database sees
    first = int(made[0].timestamp())
    assert timeline.start is not None and int(timeline.start.timestamp()) == first
    assert running == [
        sum(int(t.timestamp()) < first + timeline.step_s * (i + 1) for t in made)
        for i in range(len(running))
    ]
    assert len(set(running)) > 3  # the chart rises in steps over the two hours

    path = f"/projects/{world.project_id}/stats/timeline"
    served = call(api, world, world.manager, "GET", path)
    assert served.status_code == 200, served.text
    assert served.json()["counts"] == timeline.counts and served.json()["total"] == 8
    assert served.json()["step_s"] == timeline.step_s
    refused = call(api, world, world.reviewer, "GET", path)
    assert refused.status_code == 403


def test_every_page_refuses_as_the_api_does(api, db):
    """Status and message of each page's refusal are the API's for the same
    permission: review (the review queue), manage (the stats; settling an
    escalation needs it too) and creating projects."""
    world = build_world(db, n_items=1)
    pid = world.project_id
    pairs = {
        f"/projects/{pid}/review": ("GET", f"/projects/{pid}/review-queue?state=submitted"),
        f"/projects/{pid}/manage": ("GET", f"/projects/{pid}/stats"),
        f"/projects/{pid}/escalations": ("GET", f"/projects/{pid}/stats"),
        "/projects/new": ("POST", "/projects"),
    }
    body = {"name": "x", "ontology": {"controls": []}}
    expected = {
        world.annotators[0].email: [403, 403, 403, 403],
        world.outsider.email: [404, 404, 404, 403],
        world.reviewer.email: [200, 403, 403, 403],
    }
    for actor in (world.annotators[0], world.outsider, world.reviewer):
        got = []
        for path, (method, api_path) in pairs.items():
            page = page_of(api, world, actor, path)
            sent = body if method == "POST" else None
            answer = call(api, world, actor, method, api_path, json=sent)
            assert page.status_code == answer.status_code, (actor.email, path, page.text[:300])
            if answer.status_code >= 400:
                message = answer.json()["error"]["message"]
                shown = re.search(r'<p id="error-message">(.*?)</p>', page.text, re.S)[1]
                assert html.unescape(shown) == message
            got.append(page.status_code)
        assert got == expected[actor.email], actor.email


def test_the_project_list_links_what_each_role_may_open(api, db):
    world = build_world(db, n_items=1)
    links = {}
    for actor in (world.annotators[0], world.reviewer, world.manager):
        text = page_of(api, world, actor, "/projects").text
        links[actor.email] = sorted(
            set(re.findall(rf'href="/projects/{world.project_id}/(\w+)"', text))
        )
    assert links == {
        world.annotators[0].email: ["label"],
        world.reviewer.email: ["label", "review"],
        world.manager.email: ["data", "escalations", "label", "manage", "review"],
    }
    assert 'href="/projects/new"' not in page_of(api, world, world.reviewer, "/projects").text
    assert 'href="/projects/new"' in page_of(api, world, world.manager, "/projects").text
