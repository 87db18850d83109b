"""Guidelines as sanitised Markdown, and the difference between two versions.

Rendering (markdown-it-py, CommonMark with tables and strikethrough) keeps no
raw HTML (it is shown as text), links only to http(s), mailto, the app's own
paths and anchors, and images only from an item's media route
(``/media/items/{id}/{n}``); any other image is shown as its alt text."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.errors import NotFound
from labelwell.store.tables import Guideline
from labelwell.work.actors import Actor
from labelwell.work.policies import Permission, authorize

#: where guideline images may come from: an item's media route
MEDIA_IMAGE = re.compile(r"^/media/items/\d+/\d+$")
_SAFE_LINK = re.compile(r"^(https?://|mailto:|/(?![/\\])|#)", re.IGNORECASE)


def _link_ok(url: str) -> bool:
    return bool(_SAFE_LINK.match(url.strip()))


def _image(
    self: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if not MEDIA_IMAGE.match(src):
        return f'<span class="image-refused">{_escape(alt)}</span>'
    return f'<img src="{_escape(src)}" alt="{_escape(alt)}" loading="lazy">'


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = _link_ok  # type: ignore[method-assign]
    md.add_render_rule("image", _image)
    return md


@lru_cache(maxsize=256)
def render_markdown(text: str) -> str:
    """``text`` as sanitised HTML (see the module's docstring)."""
    return _parser().render(text or "")


DiffOp = Literal["same", "added", "removed"]


@dataclass(frozen=True)
class DiffLine:
    op: DiffOp
    text: str


@dataclass(frozen=True)
class GuidelineDiff:
    from_version: int
    to_version: int
    lines: list[DiffLine]

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.op == "added")

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.op == "removed")


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """The lines of ``new`` against ``old``: kept, added and removed, in order."""
    out: list[DiffLine] = []
    a, b = old.splitlines(), new.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            out.extend(DiffLine("same", line) for line in a[i1:i2])
            continue
        out.extend(DiffLine("removed", line) for line in a[i1:i2])
        out.extend(DiffLine("added", line) for line in b[j1:j2])
    return out


def _version(session: Session, project_id: int, version: int) -> Guideline:
    row = session.scalar(
        select(Guideline).where(Guideline.project_id == project_id, Guideline.version == version)
    )
    if row is None:
        raise NotFound(f"project {project_id} has no guidelines version {version}")
    return row


def guideline_diff(
    session: Session, actor: Actor, project_id: int, from_version: int, to_version: int
) -> GuidelineDiff:
    """How version ``to_version`` differs from ``from_version`` (members)."""
    authorize(session, actor, project_id, Permission.view)
    old = _version(session, project_id, from_version)
    new = _version(session, project_id, to_version)
    return GuidelineDiff(from_version, to_version, diff_lines(old.text, new.text))


def rendered(session: Session, actor: Actor, project_id: int, version: int) -> dict[str, Any]:
    """One version with its sanitised HTML (members)."""
    authorize(session, actor, project_id, Permission.view)
    row = _version(session, project_id, version)
    return {"version": row.version, "text": row.text, "html": render_markdown(row.text)}
