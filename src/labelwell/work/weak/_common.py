"""Names shared by the weak-supervision service modules."""

from __future__ import annotations

SOURCE = "labeling_function"
LABEL_MODEL = "label_model"
#: Item priority per route: the queue offers higher priorities first.
ROUTE_PRIORITY = {"label": 1.0, "review": 0.0}
