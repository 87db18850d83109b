"""The queue's updates of an item touch fewer indexes.

Every lease and every submit updates its item's row (``n_active``,
``n_done``, ``status``). PostgreSQL writes such an update as a heap-only tuple
(HOT), with no new entry in any index, only when no indexed column changed and
the row's page has room; otherwise each of the table's 18 indexes gets a new
entry, and its WAL. Two things kept every submit off that path:

* ``ix_items_project_done`` (project, n_done, id) indexed the counter every
  submit increments. It served the data manager's sort by labels done, which
  reads ``label_answers`` and its own index since revision 0020; nothing reads
  it now. Dropped: a submit that does not finish its item (two of three at
  overlap 3) changes no indexed column any more.
* Pages filled to the brim by imports. ``items`` now leaves 10% of each page
  free (``fillfactor = 90``, PostgreSQL only; the default is 100), so the new
  version of an updated row fits beside the old one. This applies to pages
  written from now on; ``VACUUM FULL items`` rewrites older ones.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

#: the free space PostgreSQL leaves on each page of ``items`` for HOT updates
#: (``store/tables.py`` says the same for a database made from the tables)
FILLFACTOR = 90


def upgrade() -> None:
    op.drop_index("ix_items_project_done", table_name="items")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE items SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE items RESET (fillfactor)")
    op.create_index("ix_items_project_done", "items", ["project_id", "n_done", "id"])
