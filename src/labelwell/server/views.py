"""Who sees which shape of an item or annotation: managers the full record,
raters (annotators and reviewers) :class:`ItemForAnnotator` and
:class:`AnnotationForRater`. The rule is :class:`labelwell.work.policies.Audience`;
every route and page that shows an item, an annotation or the review queue
builds it here."""

from __future__ import annotations

from labelwell.server.pagination import encode_position, next_cursor
from labelwell.server.schemas import (
    AnnotationForRater,
    AnnotationPublic,
    ItemForAnnotator,
    ItemPublic,
    Page,
    ReviewAnnotationForReviewer,
    ReviewAnnotationPublic,
    ReviewItemForReviewer,
    ReviewItemPublic,
)
from labelwell.store.tables import Annotation, Item
from labelwell.work.policies import Audience, rater_data, rater_details
from labelwell.work.review_queue import QueueEntry, QueuePage


def item_for_annotator(item: Item) -> ItemForAnnotator:
    return ItemForAnnotator(
        id=item.id, project_id=item.project_id, data=rater_data(item.data), media=item.media or []
    )


def item_view(item: Item, seen: Audience) -> ItemPublic | ItemForAnnotator:
    if seen.sees_gold and seen.sees_models:
        return ItemPublic.model_validate(item)
    return item_for_annotator(item)


def item_page(
    rows: list[Item], seen: Audience, limit: int
) -> Page[ItemPublic] | Page[ItemForAnnotator]:
    """A page of items in the caller's view (typed, so the response keeps its shape)."""
    after = next_cursor([r.id for r in rows], limit)
    if seen.sees_gold and seen.sees_models:
        full = [ItemPublic.model_validate(r) for r in rows]
        return Page[ItemPublic](data=full, count=len(full), next_cursor=after)
    shown = [item_for_annotator(r) for r in rows]
    return Page[ItemForAnnotator](data=shown, count=len(shown), next_cursor=after)


def annotation_view(
    annotation: Annotation, seen: Audience
) -> AnnotationPublic | AnnotationForRater:
    """Managers get the consensus and review outcome (``status``, ``is_current``);
    raters only what was done, the same for gold and regular answers."""
    if seen.sees_gold:
        return AnnotationPublic.model_validate(annotation)
    return AnnotationForRater.model_validate(annotation)


def annotation_page(
    rows: list[Annotation], seen: Audience, limit: int | None = None
) -> Page[AnnotationPublic] | Page[AnnotationForRater]:
    after = next_cursor([r.id for r in rows], limit) if limit is not None else None
    if seen.sees_gold:
        full = [AnnotationPublic.model_validate(r) for r in rows]
        return Page[AnnotationPublic](data=full, count=len(full), next_cursor=after)
    shown = [AnnotationForRater.model_validate(r) for r in rows]
    return Page[AnnotationForRater](data=shown, count=len(shown), next_cursor=after)


def review_page(
    page: QueuePage, seen: Audience
) -> Page[ReviewItemPublic] | Page[ReviewItemForReviewer]:
    """A page of a review queue in the caller's view: the API's answer and the
    review page's boot data."""
    after = encode_position(page.next)
    if seen.sees_gold and seen.sees_models:
        full = [_review_item_full(e) for e in page.entries]
        return Page[ReviewItemPublic](data=full, count=len(full), next_cursor=after)
    shown = [_review_item_for_reviewer(e) for e in page.entries]
    return Page[ReviewItemForReviewer](data=shown, count=len(shown), next_cursor=after)


def _review_item_full(entry: QueueEntry) -> ReviewItemPublic:
    item = entry.item
    return ReviewItemPublic(
        id=item.id,
        external_id=item.external_id,
        data=item.data,
        media=item.media or [],
        status=item.status,
        review_state=item.review_state,
        disagree=entry.disagree,
        annotations=[ReviewAnnotationPublic.model_validate(a) for a in entry.annotations],
    )


def _review_item_for_reviewer(entry: QueueEntry) -> ReviewItemForReviewer:
    return ReviewItemForReviewer(
        **item_for_annotator(entry.item).model_dump(),
        review_state=entry.item.review_state,
        disagree=entry.disagree,
        annotations=[
            ReviewAnnotationForReviewer(
                **AnnotationPublic.model_validate(a).model_dump(), details=rater_details(a.details)
            )
            for a in entry.annotations
        ],
    )
