"""The data manager: a project's item table for the people who run it.

:mod:`.columns` defines every column once (its SQL, its kind, what filters
it takes); :mod:`.query` pages through the items with any filters, sort and
full-text search by keyset cursors; :mod:`.actions` acts on a selection (ids
or a filter); :mod:`.views` keeps each person's named views. Managers (and
admins) only: the table shows gold flags and every answer.
"""

from labelwell.work.data_manager.columns import COLUMNS, DEFAULT_COLUMNS
from labelwell.work.data_manager.query import Filter, Row, Table, TableQuery, count, page, rows_of

__all__ = [
    "COLUMNS",
    "DEFAULT_COLUMNS",
    "Filter",
    "Row",
    "Table",
    "TableQuery",
    "count",
    "page",
    "rows_of",
]
