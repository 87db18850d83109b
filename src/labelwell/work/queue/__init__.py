"""The task queue: leasing items to annotators, gold injection, submit and skip.

Invariants, under any concurrency and across server processes:

* no item receives more than ``overlap`` accepted submissions (gold excepted):
  ``items.n_active`` counts live leases plus accepted submissions and a lease
  is only granted by a guarded ``UPDATE ... WHERE n_active < overlap``;
* no annotator receives the same item twice: ``assignments`` is unique on
  ``(item_id, user_id)``;
* no acknowledged submission is lost or stored twice: a submit commits in one
  transaction, and a client-chosen idempotency key makes a retry return the
  stored annotation.

The database does the locking: every SQLite transaction is ``BEGIN IMMEDIATE``
(one writer at a time), and on PostgreSQL candidate items are taken with
``SELECT ... FOR UPDATE SKIP LOCKED``.

Statements on the hot path run on the DBAPI cursor of the session's connection
(:mod:`labelwell.store.raw`); ``next task`` is five statements and ``submit``
five, each an indexed lookup or a guarded update. On PostgreSQL they run in the
server, in functions that migration 0004 creates (:mod:`.postgres`): a lease is
one call and a submit two.
"""

from labelwell.work.queue.leasing import RECLAIM_EVERY_S, next_task, reclaim_expired
from labelwell.work.queue.records import Submitted, Suggestion, Task, annotator_view
from labelwell.work.queue.submitting import SUGGESTION_OUTCOMES, skip, submit

__all__ = [
    "RECLAIM_EVERY_S",
    "SUGGESTION_OUTCOMES",
    "Submitted",
    "Suggestion",
    "Task",
    "annotator_view",
    "next_task",
    "reclaim_expired",
    "skip",
    "submit",
]
