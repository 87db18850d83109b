"""Region tools in the browser: NER spans on Korean text with an emoji
(code-point offsets), relations, bounding boxes, polygons and keypoints."""

from __future__ import annotations

from web.helpers import login, open_workspace, shot, submit_and_wait
from web.seed import KO_TEXT
from web.text_select import SELECT_UNITS, utf16


def test_ner_spans_on_korean_text_with_an_emoji(page, site):
    login(page, "ann2@demo.labelwell")
    page.select_option("#lang-select", "ko")  # the Korean interface
    page.click("form[action='/lang'] button")
    page.wait_for_selector("text=내 프로젝트")
    first = open_workspace(page, site.seeded.ids["ner-ko"])
    assert page.inner_text("#btn-submit").startswith("제출")
    person = (KO_TEXT.index("김철수"), KO_TEXT.index("김철수") + 3)
    place = (KO_TEXT.index("서울"), KO_TEXT.index("서울") + 2)
    org = (KO_TEXT.index("삼성전자"), KO_TEXT.index("삼성전자") + 4)
    page.evaluate(SELECT_UNITS, [utf16(KO_TEXT, person[0]), utf16(KO_TEXT, person[1])])
    page.keyboard.press("1")  # the selection waits for its label: PER
    page.keyboard.press("2")  # nothing waits: later selections get LOC at once
    page.evaluate(SELECT_UNITS, [utf16(KO_TEXT, place[0]), utf16(KO_TEXT, place[1])])  # LOC
    page.keyboard.press("r")  # relabel the selected LOC span...
    page.keyboard.press("3")  # ... to ORG
    page.keyboard.press("Control+z")  # undo: LOC again
    page.keyboard.press("3")  # later selections get ORG
    page.evaluate(SELECT_UNITS, [utf16(KO_TEXT, org[0]), utf16(KO_TEXT, org[1])])  # ORG
    # An overlapping span over "서울에 있는 삼성전자" is drawn too, then deleted.
    page.evaluate(SELECT_UNITS, [utf16(KO_TEXT, place[0]), utf16(KO_TEXT, org[1])])
    assert page.locator(".seg.overlap").count() >= 1
    page.keyboard.press("Delete")
    page.select_option("[data-control=links] select[aria-label=from]", label="PER: 김철수")
    page.select_option("[data-control=links] select[aria-label=to]", label="ORG: 삼성전자")
    page.click("[data-control=links] button")
    shot(page, "workspace-ner")
    submit_and_wait(page, first, "Control+Enter")  # Enter alone would press the focused button
    result = site.annotations("ner-ko")[0]["result"]
    spans = {(s["label"], s["start"], s["end"], s["text"]) for s in result["entities"]}
    assert spans == {
        ("PER", *person, "김철수"),
        ("LOC", *place, "서울"),
        ("ORG", *org, "삼성전자"),
    }
    ids = {s["label"]: s["id"] for s in result["entities"]}
    assert result["links"] == [{"from": ids["PER"], "to": ids["ORG"], "label": "works_at"}]


def test_bounding_boxes_draw_undo_relabel_and_move(page, site):
    login(page, "ann2@demo.labelwell")
    first = open_workspace(page, site.seeded.ids["demo-boxes"])
    page.wait_for_selector(".image-canvas[viewBox]")
    if page.locator("#reject-suggestion").count():
        page.click("#reject-suggestion")  # the model's box is marked machine-made; reject it
    canvas = page.locator(".image-canvas")
    box = canvas.bounding_box()
    height_px = box["height"]
    # The canvas keeps the image's aspect ratio inside the element (preserveAspectRatio
    # defaults to xMidYMid meet), so compute where image pixels land.
    scale = min(box["width"] / 320, height_px / 240)
    ox = box["x"] + (box["width"] - 320 * scale) / 2
    oy = box["y"] + (height_px - 240 * scale) / 2

    def at(x, y):
        return ox + x * scale, oy + y * scale

    for (x0, y0), (x1, y1) in (((20, 20), (80, 60)), ((100, 100), (200, 160))):
        page.mouse.move(*at(x0, y0))
        page.mouse.down()
        page.mouse.move(*at(x1, y1), steps=4)
        page.mouse.up()
    assert page.locator(".image-canvas .region").count() == 2
    page.keyboard.press("Control+z")
    assert page.locator(".image-canvas .region").count() == 1
    # Select and move the box by dragging its body 10 px right and 5 px down.
    page.mouse.move(*at(50, 40))
    page.mouse.down()
    page.mouse.move(*at(60, 45), steps=3)
    page.mouse.up()
    page.keyboard.press("2")  # only picks the label of the next box: "bar"
    assert page.locator(".region-list li.selected .chip").text_content() != "bar"
    page.keyboard.press("r")  # relabel the selected box...
    page.keyboard.press("2")  # ... to "bar"
    shot(page, "workspace-boxes")
    submit_and_wait(page, first)
    result = [a for a in site.annotations("demo-boxes") if a["agent"] == "ann2@demo.labelwell"]
    (region,) = result[0]["result"]["objects"]
    assert region["label"] == "bar"
    assert abs(region["x"] - 30) < 2 and abs(region["y"] - 25) < 2
    assert abs(region["width"] - 60) < 2 and abs(region["height"] - 40) < 2


def test_polygon_and_keypoints(page, site):
    login(page, "ann3@demo.labelwell")
    first = open_workspace(page, site.seeded.ids["shapes"])
    page.wait_for_selector("[data-control=areas] .image-canvas[viewBox]")

    def mapper(control):
        box = page.locator(f"[data-control={control}] .image-canvas").bounding_box()
        scale = min(box["width"] / 400, box["height"] / 300)
        ox = box["x"] + (box["width"] - 400 * scale) / 2
        oy = box["y"] + (box["height"] - 300 * scale) / 2
        return lambda x, y: (ox + x * scale, oy + y * scale)

    at = mapper("areas")
    for x, y in ((50, 50), (170, 50), (170, 130), (50, 130)):
        page.mouse.click(*at(x, y))
    page.keyboard.press("Enter")  # closes the polygon (does not submit)
    assert page.locator("[data-control=areas] .region").count() == 1
    page.locator("[data-control=poses] .image-canvas").scroll_into_view_if_needed()
    at = mapper("poses")
    page.mouse.click(*at(200, 40))  # head
    page.keyboard.press("n")  # left hand not labeled
    page.mouse.click(*at(240, 120))  # right hand
    shot(page, "workspace-shapes")
    submit_and_wait(page, first)
    result = site.annotations("shapes")[0]["result"]
    (area,) = result["areas"]
    assert area["label"] == "field"
    assert [[round(x), round(y)] for x, y in area["points"]] == [
        [50, 50],
        [170, 50],
        [170, 130],
        [50, 130],
    ]
    (pose,) = result["poses"]
    points = {k: [round(v) for v in p] for k, p in pose["points"].items()}
    assert points == {"head": [200, 40, 2], "left_hand": [0, 0, 0], "right_hand": [240, 120, 2]}
