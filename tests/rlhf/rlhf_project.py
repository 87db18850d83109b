"""A small judged preference project for service, API and CLI tests.

Six pairwise items (``r1`` "good i", ``r2`` "bad i") judged by three annotators
(overlap 3) with known consensus, and a 1-5 ``helpful`` rating per item:

====  ======  ======  ========  =====================
item  ann0    ann1    ann2      consensus (margin)
====  ======  ======  ========  =====================
0     a       a       b         a (1)
1     a       tie     tie       tie
2     a       a       a         a (3)
3     a       tie     a         a (2)
4     a       a       both_bad  a (2)
5     both_bad both_bad a       both_bad
====  ======  ======  ========  =====================

ann0 is in locale ``en`` with skills ``en``; ann1 and ann2 are ``de`` with skills
``de, en``. ann0 rates 5, ann1 2 and ann2 3 (every item).
"""

from __future__ import annotations

from labelwell.formats.registry import ImportRow
from labelwell.store.tables import User
from labelwell.work import items, queue
from world import World, build_world

DUEL = {
    "name": "duel",
    "controls": [
        {"name": "pref", "type": "pairwise"},
        {"name": "helpful", "type": "rating", "scale": [1, 5], "source": "prompt"},
    ],
}
CHOICES = {
    "ann0": ["a", "a", "a", "a", "a", "both_bad"],
    "ann1": ["a", "tie", "a", "tie", "a", "both_bad"],
    "ann2": ["b", "tie", "a", "a", "both_bad", "a"],
}
RATINGS = {"ann0": 5, "ann1": 2, "ann2": 3}


def item_data(i: int) -> dict:
    return {
        "prompt": f"Question {i}?",
        "responses": [{"id": "r1", "text": f"good {i}"}, {"id": "r2", "text": f"bad {i}"}],
    }


def judge_all(db, world: World, result_of) -> None:
    for actor in world.annotators:
        while True:
            with db.session() as s:
                task = queue.next_task(s, actor, world.project_id)
                if task is None:
                    break
                queue.submit(s, actor, task.assignment_id, result_of(actor, task))


def judged_duel(db) -> World:
    world = build_world(db, n_items=0, n_annotators=3, ontology=DUEL, overlap=3)
    with db.session() as s:
        rows = [ImportRow(line=i + 1, data=item_data(i), external_id=f"q{i}") for i in range(6)]
        items.import_rows(s, world.manager, world.project_id, rows)
        for actor in world.annotators[1:]:
            user = s.get(User, actor.id)
            user.locale, user.skills = "de", ["de", "en"]

    def result(actor, task):
        who = actor.email.split("@")[0]
        i = int(task.data["prompt"].split()[1].rstrip("?"))
        return {"pref": {"choice": CHOICES[who][i]}, "helpful": RATINGS[who]}

    judge_all(db, world, result)
    return world
