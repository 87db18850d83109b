"""Pages of review inside the workspace: an item's history and comment thread
(``/items/{id}``), and the comments that mention you (``/mentions``). Data
comes from the services behind ``/api/v1/items/{id}/history``, ``/comments``
and ``/me/mentions``; the pages' scripts act through those routes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from labelwell.server.web.i18n import catalogue_for
from labelwell.server.web.pages import _lang, _page, render, templates
from labelwell.work.actors import Actor
from labelwell.work.comments import unread_mentions as count_unread
from labelwell.work.item_history import item_shown

router = APIRouter(include_in_schema=False)
PREFIXES = ("work.", "review.", "rvw.")


def unread_mentions(request: Request, actor: Actor | None) -> int:
    """The top bar's count of comments that mention ``actor`` unread."""
    if actor is None:
        return 0
    with request.app.state.db.read_session() as s:
        return count_unread(s, actor)


templates.env.globals["unread_mentions"] = unread_mentions


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: int) -> Response:
    """One item: its data, every revision of its labels with what each changed,
    and its comment thread."""

    def build(actor: Actor) -> Response:
        with request.app.state.db.read_session() as s:
            shown = item_shown(s, actor, item_id)
        boot = {
            "item": {"id": shown.id, "data": shown.data, "media": shown.media},
            "project": {
                "id": shown.project_id,
                "name": shown.project_name,
                "ontology": shown.ontology,
            },
            "i18n": catalogue_for(_lang(request), PREFIXES),
        }
        return render(request, "item.html", actor, boot=boot, item=shown)

    return _page(request, build)


@router.get("/mentions")
def mentions_page(request: Request) -> Response:
    """The comments that mention you; opening the page marks them read."""

    def build(actor: Actor) -> Response:
        boot = {"i18n": catalogue_for(_lang(request), PREFIXES)}
        return render(request, "mentions.html", actor, boot=boot)

    return _page(request, build)
