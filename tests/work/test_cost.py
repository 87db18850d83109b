"""Pay rates, cost per accepted label, payroll and budget caps that stop the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text, update

from labelwell.errors import Conflict, Forbidden, InvalidInput, NotFound
from labelwell.store.tables import Annotation, utcnow
from labelwell.work import cost, queue
from labelwell.work.cost import Rate, rate_for
from world import build_world


def _label(db, actor, project_id, *, ms=None):
    with db.session() as s:
        task = queue.next_task(s, actor, project_id)
        assert task is not None
        done, _ = queue.submit(
            s, actor, task.assignment_id, {"sentiment": "positive"}, time_spent_ms=ms
        )
        return done


def test_the_most_specific_rate_applies():
    rates = [
        Rate(1, None, None, None, "hour", 20.0, "everyone"),
        Rate(2, None, "reviewer", None, "hour", 30.0, "reviewers"),
        Rate(3, None, None, "medical", "hour", 75.0, "medical"),
        Rate(4, 7, None, None, "label", 0.5, "project 7"),
    ]
    assert rate_for(rates, 1, "annotator", []).id == 1
    assert rate_for(rates, 1, "reviewer", []).id == 2
    assert rate_for(rates, 1, "reviewer", ["medical"]).id == 3  # a skill beats a role
    assert rate_for(rates, 7, "reviewer", ["medical"]).id == 4  # the project beats both
    assert rate_for(rates[1:3], 1, "annotator", ["en"]) is None
    assert Rate(9, None, None, None, "hour", 30.0, "").pay(90 * 60_000, 3) == 45.0
    assert Rate(9, None, None, None, "label", 0.25, "").pay(90 * 60_000, 3) == 0.75


def test_cost_per_annotator_and_per_accepted_label(db):
    w = build_world(db, n_annotators=2, n_items=4)
    a0, a1 = w.annotators
    for _ in range(2):
        _label(db, a0, w.project_id, ms=30 * 60_000)  # half an hour each
    _label(db, a1, w.project_id, ms=6 * 60_000)
    with db.session() as s:
        cost.add_rate(s, w.admin, basis="hour", amount=20.0, name="general")
        cost.add_rate(
            s, w.manager, basis="label", amount=0.5, project_id=w.project_id, skill="fast"
        )
    with db.session() as s:
        report = cost.project_cost(s, w.manager, w.project_id)
    by = {p.email: p for p in report.people}
    assert by[a0.email].hours == 1.0 and by[a0.email].accepted == 2
    assert by[a0.email].amount == 20.0 and by[a0.email].per_accepted_label == 10.0
    assert by[a1.email].amount == 2.0  # 6 minutes at 20/h
    assert report.amount == 22.0 and report.accepted == 3
    assert report.per_accepted_label == pytest.approx(22.0 / 3)
    # a rejected label is not accepted: it is not paid per label, nor counted
    with db.session() as s:
        s.execute(update(Annotation).where(Annotation.user_id == a1.id).values(status="rejected"))
    with db.session() as s:
        report = cost.project_cost(s, w.manager, w.project_id)
    assert {p.email: p.accepted for p in report.people}[a1.email] == 0


def test_rates_are_scoped_to_what_a_manager_manages(db):
    w = build_world(db, n_annotators=1)
    with db.session() as s:
        with pytest.raises(InvalidInput, match="project_id"):
            cost.add_rate(s, w.manager, basis="hour", amount=20.0)
        with pytest.raises(Forbidden):
            cost.add_rate(s, w.reviewer, basis="hour", amount=20.0, project_id=w.project_id)
        with pytest.raises(InvalidInput, match="basis"):
            cost.add_rate(s, w.admin, basis="week", amount=20.0)
        with pytest.raises(InvalidInput, match="amount"):
            cost.add_rate(s, w.admin, basis="hour", amount=-1.0)
        with pytest.raises(Forbidden):
            cost.project_cost(s, w.annotators[0], w.project_id)
        with pytest.raises(NotFound):
            cost.project_cost(s, w.outsider, w.project_id)


def test_payroll_csv_has_a_row_per_person_for_the_period(db):
    w = build_world(db, n_annotators=2, n_items=4)
    a0, a1 = w.annotators
    _label(db, a0, w.project_id, ms=3 * 3_600_000)
    _label(db, a1, w.project_id, ms=3_600_000)
    with db.session() as s:
        cost.add_rate(s, w.admin, basis="hour", amount=15.0)
        cost.add_rate(s, w.admin, basis="hour", amount=50.0, role="reviewer")
    now = utcnow()
    with db.session() as s:
        rows = cost.payroll(s, w.admin, now - timedelta(days=1), now + timedelta(days=1))
        empty = cost.payroll(s, w.admin, now - timedelta(days=9), now - timedelta(days=8))
        with pytest.raises(InvalidInput, match="end"):
            cost.payroll(s, w.admin, now, now)
    assert [(r[2], r[4], r[5], r[6]) for r in rows] == [
        (a0.email, 3.0, 1, 45.0),
        (a1.email, 1.0, 1, 15.0),
    ]
    assert empty == []
    text = cost.payroll_csv(rows)
    assert text.splitlines()[0] == "period_start,period_end,email,name,hours,labels,amount"
    assert f"{a0.email},,3.0,1,45.0" in text
    assert (
        cost.payroll_csv([("a", "b", "=cmd()", "", 1.0, 1, 1.0)])
        .splitlines()[1]
        .startswith("a,b,'=cmd()")
    )


def test_a_budget_cap_stops_the_queue_and_raising_it_reopens(db):
    w = build_world(db, n_annotators=2, n_items=10)
    a0, a1 = w.annotators
    with db.session() as s:
        cost.add_rate(s, w.admin, basis="label", amount=1.0)
        _ = cost.set_budget(s, w.manager, w.project_id, 2.0)
    _label(db, a0, w.project_id)
    with db.session() as s:  # a lease held before the cap is reached is kept
        held = queue.next_task(s, a1, w.project_id)
    _label(db, a0, w.project_id)
    with db.session() as s:
        assert cost.project_cost(s, w.manager, w.project_id).budget.reached
        with pytest.raises(Conflict, match="budget"):
            queue.next_task(s, a0, w.project_id)
        again = queue.next_task(s, a1, w.project_id)
        assert again is not None and again.assignment_id == held.assignment_id
    with db.session() as s:
        budget = cost.set_budget(s, w.manager, w.project_id, 3.0)
    assert budget.spent == 2.0 and not budget.reached
    assert _label(db, a0, w.project_id) is not None
    with db.session() as s:
        with pytest.raises(Conflict, match="budget"):
            queue.next_task(s, a0, w.project_id)
        cost.set_budget(s, w.manager, w.project_id, None)
    assert _label(db, a0, w.project_id) is not None


def test_spend_is_counted_again_when_rates_change(db):
    w = build_world(db, n_annotators=1, n_items=5)
    a0 = w.annotators[0]
    with db.session() as s:
        cost.set_budget(s, w.manager, w.project_id, 100.0)
    _label(db, a0, w.project_id, ms=3_600_000)
    with db.session() as s:
        assert cost.project_cost(s, w.manager, w.project_id).budget.spent == 0.0
        rate = cost.add_rate(s, w.manager, basis="hour", amount=120.0, project_id=w.project_id)
    with db.session() as s:
        assert cost.project_cost(s, w.manager, w.project_id).budget.reached
        with pytest.raises(Conflict, match="budget"):
            queue.next_task(s, a0, w.project_id)
        cost.remove_rate(s, w.manager, rate.id)
    with db.session() as s:
        assert cost.project_cost(s, w.manager, w.project_id).budget.spent == 0.0


def test_the_budget_check_is_one_lookup_on_the_lease_path(db):
    """A budget adds one primary-key read to a lease, whatever the project's size,
    and nothing to leases in projects without one. On PostgreSQL the lease is one
    function call either way; the function reads the spend by primary key."""
    if db.dialect == "postgresql":
        with db.read_session() as s:
            source = s.execute(
                text(
                    "SELECT prosrc FROM pg_proc WHERE proname = 'labelwell_next_task'"
                    " AND pronamespace = current_schema()::regnamespace"
                )
            ).scalar_one()
        assert "FROM project_spend s WHERE s.project_id = p_project" in source
        return

    def statements(project_id, actor):
        seen: list[str] = []
        with db.session() as s:
            s.connection().connection.dbapi_connection.set_trace_callback(seen.append)
            try:
                assert queue.next_task(s, actor, project_id) is not None
            finally:
                s.connection().connection.dbapi_connection.set_trace_callback(None)
        # lapsed leases are looked for at most once a second, whichever lease comes first
        skip = (
            "BEGIN",
            "COMMIT",
            "SAVEPOINT",
            "RELEASE",
            "UPDATE assignments SET status = 'expired'",
        )
        return [q for q in seen if not q.startswith(skip)]

    w = build_world(db, n_annotators=2, n_items=50)
    a0, a1 = w.annotators
    plain = statements(w.project_id, a0)
    with db.session() as s:
        cost.set_budget(s, w.manager, w.project_id, 1000.0)
    capped = statements(w.project_id, a1)
    assert not [q for q in plain if "project_spend" in q]
    extra = [q for q in capped if "project_spend" in q]
    assert len(extra) == 1 and "WHERE project_id = " in extra[0]
    assert len(capped) == len(plain) + 1
