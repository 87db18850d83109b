"""The world the browser tests run in: the demo projects plus small projects
for the controls the demo does not cover, seeded through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from labelwell.demo import DEMO_PASSWORD, create_demo, png_bytes
from labelwell.formats.registry import ImportRow
from labelwell.store.db import Database
from labelwell.store.migrate import upgrade
from labelwell.store.tables import Project, User
from labelwell.work import items, projects, queue
from labelwell.work.actors import Actor

PASSWORD = DEMO_PASSWORD
XSS_TEXT = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> hello'
KO_TEXT = "😀 김철수는 서울에 있는 삼성전자에서 일한다."

CLASSIC = {
    "name": "classic",
    "controls": [
        {
            "name": "sentiment",
            "type": "choice",
            "source": "text",
            "options": ["pos", "neg", "neu"],
            "required": True,
        },
        {
            "name": "topics",
            "type": "multi_choice",
            "source": "text",
            "options": ["price", "quality", "delivery"],
        },
        {"name": "overall", "type": "rating", "scale": [1, 7]},
        {"name": "quality", "type": "rating", "scale": [1, 5], "aspects": ["clarity", "tone"]},
        {"name": "note", "type": "text"},
    ],
}
NER_KO = {
    "name": "ner-ko",
    "controls": [
        {"name": "entities", "type": "spans", "source": "text", "labels": ["PER", "LOC", "ORG"]},
        {"name": "links", "type": "relations", "spans": "entities", "labels": ["works_at"]},
    ],
}
SHAPES = {
    "name": "shapes",
    "controls": [
        {"name": "areas", "type": "polygon", "source": "image", "labels": ["field", "road"]},
        {
            "name": "poses",
            "type": "keypoints",
            "source": "image",
            "labels": [
                {
                    "name": "person",
                    "skeleton": {
                        "keypoints": ["head", "left_hand", "right_hand"],
                        "edges": [[0, 1], [0, 2]],
                    },
                }
            ],
        },
    ],
}
RANKING = {
    "name": "ranking",
    "controls": [
        {"name": "order", "type": "ranking", "required": True},
        {"name": "rewrite", "type": "correction"},
    ],
}

ESCALATE = {
    "name": "escalate",
    "controls": [
        {
            "name": "sentiment",
            "type": "choice",
            "source": "text",
            "options": ["pos", "neg", "neu"],
            "required": True,
        },
        {"name": "entities", "type": "spans", "source": "text", "labels": ["PER", "ORG"]},
        {"name": "note", "type": "text"},
    ],
}
ESCALATED_TEXTS = ("Kim thinks the Acme phone is fine, I guess.", XSS_TEXT)

SENTIMENT = {
    "name": "sentiment",
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
#: Gold items (text -> gold answer) and one ordinary item, for gold feedback.
GOLD_TEXTS = {
    "The service was awful.": "neg",
    "Lovely staff, quick answers.": "pos",
    "A parcel came.": "neu",
}
PLAIN_TEXT = "It arrived on Tuesday."
#: Items with a model's suggestion each, for accept / edit / reject.
SUGGESTED_TEXTS = ("Works as described.", "Broke after a week.", "Nothing to add.")


@dataclass
class Seeded:
    ids: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    admin_token: str = ""
    gold_item: int = 0
    review_annotations: list[int] = field(default_factory=list)
    escalated_items: list[int] = field(default_factory=list)


def seed(url: str, home: Path) -> Seeded:
    db = Database(url)
    upgrade(db)
    out = Seeded()
    try:
        with db.session() as s:
            summary = create_demo(s, home)
            out.admin_token = summary.admin_token or ""
            for user in s.scalars(select(User)):
                out.users[user.email] = user.id
            for project in s.scalars(select(Project)):
                out.ids[project.name] = project.id
            admin = Actor.of(s.get(User, out.users["admin@demo.labelwell"]))

            def make(
                name: str,
                ontology: dict,
                rows: list[ImportRow],
                members: dict[str, str],
                **kw: object,
            ) -> int:
                p = projects.create_project(
                    s,
                    admin,
                    name,
                    ontology,
                    guidelines=f"Guidelines for {name}.",
                    gold_ratio=0.0,
                    **kw,
                )
                for email, role in members.items():
                    projects.set_member(s, admin, p.id, out.users[email], role)
                items.import_rows(s, admin, p.id, rows, filename=f"{name}.seed")
                out.ids[name] = p.id
                return p.id

            text_rows = [
                ImportRow(line=i + 1, data={"text": t})
                for i, t in enumerate(["Cheap but slow delivery.", "Great quality."])
            ]
            make("classic", CLASSIC, text_rows, {"ann1@demo.labelwell": "annotator"})
            make(
                "ner-ko",
                NER_KO,
                [ImportRow(line=1, data={"text": KO_TEXT})],
                {"ann2@demo.labelwell": "annotator"},
            )
            media = home / "media" / "shapes"
            media.mkdir(parents=True, exist_ok=True)
            (media / "field.png").write_bytes(
                png_bytes(400, 300, [(50, 50, 120, 80, (60, 160, 90))])
            )
            make(
                "shapes",
                SHAPES,
                [
                    ImportRow(
                        line=1,
                        data={"image": str(media / "field.png"), "width": 400, "height": 300},
                        media=[str(media / "field.png")],
                    )
                ],
                {"ann3@demo.labelwell": "annotator"},
            )
            responses = [
                {"id": "r1", "text": "Paris is the capital."},
                {"id": "r2", "text": "Lyon."},
                {"id": "r3", "text": "It is Paris, on the Seine."},
            ]
            make(
                "ranking",
                RANKING,
                [ImportRow(line=1, data={"prompt": "Capital of France?", "responses": responses})],
                {"ann1@demo.labelwell": "annotator"},
            )
            make(
                "xss",
                CLASSIC,
                [
                    ImportRow(line=1, data={"text": XSS_TEXT}, gold={"sentiment": "neg"}),
                    ImportRow(line=2, data={"text": XSS_TEXT}),
                ],
                {"ann3@demo.labelwell": "annotator"},
            )
            out.gold_item = items.list_items(s, admin, out.ids["xss"], limit=1)[0].id
            # Two annotators disagree on one item, awaiting review.
            rid = make(
                "review",
                CLASSIC,
                [ImportRow(line=1, data={"text": "Fine, I guess."})],
                {
                    "ann1@demo.labelwell": "annotator",
                    "ann2@demo.labelwell": "annotator",
                    "ann3@demo.labelwell": "annotator",
                    "reviewer@demo.labelwell": "reviewer",
                },
                overlap=3,
                blind=False,
            )
            votes = (
                ("ann1@demo.labelwell", "pos"),
                ("ann2@demo.labelwell", "neu"),
                ("ann3@demo.labelwell", "neg"),
            )
            for email, label in votes:
                actor = Actor.of(s.get(User, out.users[email]))
                task = queue.next_task(s, actor, rid)
                assert task is not None
                ann, _ = queue.submit(
                    s, actor, task.assignment_id, {"sentiment": label}, time_spent_ms=1500
                )
                out.review_annotations.append(ann.id)
            make("console", CLASSIC, [], {"manager@demo.labelwell": "manager"})
            # Three annotators, three different answers on each item: escalated.
            eid = make(
                "escalate",
                ESCALATE,
                [ImportRow(line=i + 1, data={"text": t}) for i, t in enumerate(ESCALATED_TEXTS)],
                {
                    "ann1@demo.labelwell": "annotator",
                    "ann2@demo.labelwell": "annotator",
                    "ann3@demo.labelwell": "annotator",
                    "reviewer@demo.labelwell": "reviewer",
                    "manager@demo.labelwell": "manager",
                },
                overlap=3,
            )
            kim = {"id": "k", "start": 0, "end": 3, "label": "PER", "text": "Kim"}
            for email, label in votes:
                actor = Actor.of(s.get(User, out.users[email]))
                for _ in ESCALATED_TEXTS:
                    task = queue.next_task(s, actor, eid)
                    assert task is not None
                    result = {"sentiment": label}
                    if label == "pos" and task.data["text"].startswith("Kim"):
                        result["entities"] = [kim]
                    queue.submit(s, actor, task.assignment_id, result, time_spent_ms=2100)
            out.escalated_items = [
                i.id
                for i in items.list_items(s, admin, eid, limit=10)
                if i.review_state == "escalated"
            ]
            gold_rows = [
                ImportRow(line=i + 1, data={"text": t}, gold={"sentiment": label})
                for i, (t, label) in enumerate(GOLD_TEXTS.items())
            ]
            gold_rows.append(ImportRow(line=len(gold_rows) + 1, data={"text": PLAIN_TEXT}))
            gid = make(
                "feedback",
                SENTIMENT,
                gold_rows,
                {"ann2@demo.labelwell": "annotator", "manager@demo.labelwell": "manager"},
            )
            projects.update_project(s, admin, gid, {"gold_ratio": 1.0})
            make(
                "suggest",
                SENTIMENT,
                [
                    ImportRow(
                        line=i + 1,
                        data={"text": t},
                        predictions=[
                            {
                                "result": {"sentiment": "pos"},
                                "score": 0.75,
                                "model_name": "sentiment-bert",
                                "model_version": "3",
                            }
                        ],
                    )
                    for i, t in enumerate(SUGGESTED_TEXTS)
                ],
                {"ann3@demo.labelwell": "annotator"},
            )
    finally:
        db.dispose()
    return out
