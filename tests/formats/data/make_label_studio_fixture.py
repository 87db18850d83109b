"""Makes label_studio_export.json with label-studio-sdk (run in a throwaway venv:
``python -m venv /tmp/ls && /tmp/ls/bin/pip install label-studio-sdk==2.1.2``,
then ``/tmp/ls/bin/python make_label_studio_fixture.py``). Not run by the tests.

Image tasks come from the SDK's own COCO -> Label Studio converter
(``label_studio_sdk.converter.imports.coco.convert_coco_to_ls``), once as
annotations and once as predictions; text tasks are regions made by the SDK's
``LabelInterface`` control tags and checked by its ``validate_annotation``. Tasks are
numbered and given the fields of a Label Studio JSON export (``id``,
``annotations[].completed_by``, ``lead_time``, ``created_at``).
"""

import json
import tempfile
from pathlib import Path

from label_studio_sdk.converter.imports.coco import convert_coco_to_ls
from label_studio_sdk.label_interface import LabelInterface

HERE = Path(__file__).parent

COCO = {
    "images": [
        {"id": 1, "file_name": "street.jpg", "width": 640, "height": 480},
        {"id": 2, "file_name": "park.jpg", "width": 800, "height": 600},
    ],
    "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [64, 48, 128, 96],
            "area": 12288,
            "iscrowd": 0,
        },
        {
            "id": 2,
            "image_id": 1,
            "category_id": 2,
            "bbox": [320, 240, 160, 120],
            "area": 19200,
            "iscrowd": 0,
        },
        {
            "id": 3,
            "image_id": 2,
            "category_id": 2,
            "bbox": [80, 60, 160, 120],
            "segmentation": [[80, 60, 240, 60, 240, 180, 80, 180]],
            "area": 19200,
            "iscrowd": 0,
        },
    ],
}

TEXT_CONFIG = """
<View>
  <Text name="text" value="$text"/>
  <Labels name="entities" toName="text">
    <Label value="PER"/><Label value="LOC"/><Label value="ORG"/>
  </Labels>
  <Choices name="topic" toName="text"><Choice value="news"/><Choice value="sport"/></Choices>
</View>
"""


def image_tasks() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "coco.json"
        src.write_text(json.dumps(COCO))
        out = {}
        for kind in ("annotations", "predictions"):
            dst = Path(tmp) / f"{kind}.json"
            convert_coco_to_ls(
                str(src), str(dst), out_type=kind, image_root_url="/data/local-files/?d="
            )
            out[kind] = json.loads(dst.read_text())
    tasks = out["annotations"]
    for task, pred in zip(tasks, out["predictions"], strict=True):
        task["predictions"] = [
            dict(p, model_version="coco-import", score=0.9) for p in pred["predictions"]
        ]
    return tasks


def text_tasks() -> list[dict]:
    li = LabelInterface(TEXT_CONFIG)
    ents = li.get_control("entities")
    topic = li.get_control("topic")
    texts = [
        (
            "Angela Merkel visited New York.",
            [("PER", "Angela Merkel"), ("LOC", "New York")],
            "news",
        ),
        (
            "김민수 씨는 서울에서 삼성전자에 다닌다.",
            [("PER", "김민수"), ("LOC", "서울"), ("ORG", "삼성전자")],
            "sport",
        ),
    ]
    tasks = []
    for text, spans, choice in texts:
        offsets = [(label, text.index(part), text.index(part) + len(part)) for label, part in spans]
        regions = [ents.label(label, start=s, end=e) for label, s, e in offsets]
        regions.append(topic.label(choice))
        result = [r._dict() for r in regions]
        task = {"data": {"text": text}, "annotations": [{"result": result}], "predictions": []}
        assert li.validate_annotation(task["annotations"][0]), task
        tasks.append(task)
    return tasks


def main() -> None:
    tasks = image_tasks() + text_tasks()
    for i, task in enumerate(tasks, start=1):
        task["id"] = i
        for j, ann in enumerate(task.get("annotations", []), start=1):
            ann.update(
                id=100 * i + j, completed_by=1, lead_time=12.5, created_at="2026-01-01T00:00:00Z"
            )
    (HERE / "label_studio_export.json").write_text(
        json.dumps(tasks, indent=1, ensure_ascii=False) + "\n"
    )


if __name__ == "__main__":
    main()
