"""Every change to an item's slots, written once.

An item has ``overlap`` slots. ``n_active`` counts the slots taken (live
leases plus accepted submissions), ``n_done`` the accepted submissions, and
``status`` follows from them: ``open`` while a slot is free, ``full`` while
every slot is leased or done, ``done`` once ``n_done`` reaches the overlap
(``staged`` before that while the item's import is written or opened).

The rules below are the only place these transitions are spelled out:

* SQL fragments, which the queue's statements (:mod:`.statements`) are built
  from; ``{overlap}`` is the placeholder of the project's overlap. The
  PostgreSQL queue functions (migrations 0004 and later) run the same
  fragments; ``tests/store/test_queue_functions.py`` checks that every
  function still contains them, so a change here needs a new migration;
* :func:`untouched` and :func:`settle` for the items labelled without a
  person (auto-approved pre-labels and weak labels): which may be, and the
  update that takes every slot;
* :func:`initial_status` for items stored with labels already (imports,
  migrations from other tools).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Update, and_, update

from labelwell.store.tables import Item

#: a slot may be taken while one is free
SLOT_FREE = "n_active < {overlap} AND status = 'open'"
#: a lapsed lease may take its slot back while the item is not done
SLOT_FREE_AGAIN = "n_active < {overlap} AND status <> 'done'"
#: the status once a slot is taken (``n_active`` before the increment)
STATUS_AFTER_TAKE = "CASE WHEN n_active + 1 >= {overlap} THEN 'full' ELSE 'open' END"
#: the status once slots are given back (a lease lapsed or was skipped)
STATUS_AFTER_RELEASE = "CASE WHEN status = 'done' THEN 'done' ELSE 'open' END"
#: the status once a submission is accepted (``n_done`` before the increment)
STATUS_AFTER_LABEL = (
    "CASE WHEN n_done + 1 >= {overlap} THEN 'done' WHEN n_active >= {overlap} THEN 'full'"
    " ELSE 'open' END"
)


def sql(fragment: str, overlap: str = "?") -> str:
    """A fragment with the overlap written as ``overlap`` (a parameter marker by
    default, or a PL/pgSQL variable)."""
    return fragment.format(overlap=overlap)


def untouched() -> ColumnElement[bool]:
    """An item no person holds or has answered: open, no slot taken."""
    return and_(Item.status == "open", Item.n_active == 0)


def settle(overlap: int, item_ids: Sequence[int]) -> Update:
    """Label these items without a person: every slot taken and done, where no
    person holds or has done one yet (an item leased meanwhile is left to its
    annotator). ``RETURNING`` the ids settled."""
    return (
        update(Item)
        .where(Item.id.in_(list(item_ids)), untouched())
        .values(n_active=overlap, n_done=overlap, status="done")
        .returning(Item.id)
    )


def initial_status(done: int, overlap: int, *, staged: bool = False) -> str:
    """The status of an item stored with ``done`` accepted human labels (at most
    ``overlap``; each takes its slot): ``done`` once they fill the overlap,
    otherwise ``open``, or ``staged`` while its import is not yet in the queue."""
    if done >= overlap:
        return "done"
    return "staged" if staged else "open"
