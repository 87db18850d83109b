"""The mask tool encodes a finished brush stroke in a Web Worker: the worker
starts, its answer becomes the stroke's undo step (Ctrl+Z takes the stroke
away), a submit right after a stroke (the worker not yet answered) stores the
same mask, and the stored RLE decodes with pycocotools to what was painted."""

from __future__ import annotations

from web.fresh import annotations, new_project
from web.helpers import login, open_workspace, submit_and_wait
from web.test_media_mask import ANNOTATOR, MASK, decode, ready, scene, to_screen


def stroke(page, y: float) -> None:
    page.mouse.move(*to_screen(page, 60, y))
    page.mouse.down()
    page.mouse.move(*to_screen(page, 340, y), steps=10)
    page.mouse.up()


def test_a_stroke_is_encoded_off_the_main_thread(page, site):
    pid = new_project(site, MASK, [{"image": scene(site.home, "w.png")}], ANNOTATOR)
    login(page, ANNOTATOR)
    first = open_workspace(page, pid)
    ready(page)
    page.keyboard.press("1")
    page.keyboard.press("b")
    stroke(page, 50)
    page.wait_for_selector(".mask-canvas[data-encodes='1']", state="attached")
    assert any(w.url.endswith("/static/js/tools/mask_worker.js") for w in page.workers)
    page.keyboard.press("Control+z")  # the worker's answer made the stroke one undo step
    stroke(page, 150)
    page.wait_for_selector(".mask-canvas[data-encodes='2']", state="attached")
    stroke(page, 250)  # submitted at once: the tool encodes it here if the worker has not
    submit_and_wait(page, first, "Control+Enter")
    [region] = next(a for a in annotations(site, pid))["result"]["seg"]
    assert region["label"] == "leaf" and region["rle"]["size"] == [300, 400]
    leaf = decode(region)
    assert not leaf[45:56, 100:300].any()  # undone
    assert leaf[150, 100:300].all() and leaf[250, 100:300].all()
    assert not leaf[200, :].any() and not leaf[100, :].any()
