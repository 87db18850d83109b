"""Small literal ontologies and records shared by the format tests."""

from __future__ import annotations

from typing import Any

from labelwell.formats.registry import ExportRecord, LabelRecord, Provenance

VISION = {
    "name": "vision",
    "controls": [
        {
            "name": "boxes",
            "type": "bbox",
            "source": "image",
            "labels": [{"name": "cat"}, {"name": "dog"}],
        },
        {
            "name": "outline",
            "type": "polygon",
            "source": "image",
            "labels": [{"name": "cat"}, {"name": "dog"}],
        },
        {
            "name": "masks",
            "type": "mask",
            "source": "image",
            "labels": [{"name": "cat"}, {"name": "dog"}],
        },
        {
            "name": "pose",
            "type": "keypoints",
            "source": "image",
            "labels": [
                {
                    "name": "person",
                    "skeleton": {
                        "keypoints": ["head", "left_hand", "right_hand"],
                        "edges": [[0, 1], [0, 2]],
                    },
                }
            ],
        },
    ],
}

NER = {
    "name": "ner",
    "controls": [
        {
            "name": "entities",
            "type": "spans",
            "source": "text",
            "labels": [{"name": "PER"}, {"name": "LOC"}, {"name": "ORG"}],
        },
        {
            "name": "topic",
            "type": "choice",
            "source": "text",
            "labels": [{"name": "news"}, {"name": "sport"}],
        },
    ],
}


def label(
    result: dict[str, Any],
    agent: str = "ann@example.org",
    source: str = "human",
    id: int | None = None,
) -> LabelRecord:
    return LabelRecord(id=id, result=result, provenance=Provenance(source=source, agent=agent))


def record(
    item_id: int, data: dict[str, Any], annotations=(), consensus=None, gold=None, external_id=None
) -> ExportRecord:
    return ExportRecord(
        item_id=item_id,
        external_id=external_id,
        data=data,
        media=[],
        status="done",
        annotations=list(annotations),
        consensus=consensus,
        gold=gold,
    )


def vision_records() -> list[ExportRecord]:
    img1 = {"image": "img/1.jpg", "width": 640, "height": 480}
    img2 = {"image": "img/2.jpg", "width": 320, "height": 200}
    r1 = {
        "boxes": [
            {"id": "b1", "label": "cat", "x": 10.0, "y": 20.0, "width": 100.0, "height": 50.0},
            {
                "id": "b2",
                "label": "dog",
                "x": 200.5,
                "y": 100.25,
                "width": 40.0,
                "height": 80.0,
                "attributes": {"occluded": True},
            },
        ],
        "outline": [
            {"id": "p1", "label": "dog", "points": [[300, 300], [400, 300], [400, 420], [300, 420]]}
        ],
        "pose": [
            {
                "id": "k1",
                "label": "person",
                "points": {
                    "head": [50, 60, 2],
                    "left_hand": [30, 120, 1],
                    "right_hand": [80, 118, 2],
                },
            }
        ],
    }
    r2 = {
        "boxes": [{"id": "b3", "label": "dog", "x": 0.0, "y": 0.0, "width": 320.0, "height": 200.0}]
    }
    r2b = {
        "boxes": [{"id": "b4", "label": "dog", "x": 2.0, "y": 1.0, "width": 300.0, "height": 190.0}]
    }
    return [
        record(1, img1, [label(r1, "alice")], external_id="a"),
        record(
            2,
            img2,
            [label(r2, "alice"), label(r2b, "bob")],
            consensus=label(r2, "mv", "consensus"),
            external_id="b",
        ),
        record(3, {"image": "img/3.jpg", "width": 10, "height": 10}, external_id="c"),
    ]


EN = "Angela Merkel visited New York.\nShe met U.N. staff"
KO = "김민수 씨는 서울에서 삼성전자에 다닌다."


def span(text: str, part: str, tag: str, i: int, nth: int = 0) -> dict:
    start = -1
    for _ in range(nth + 1):
        start = text.index(part, start + 1)
    return {"id": f"s{i}", "start": start, "end": start + len(part), "label": tag, "text": part}


def ner_records():
    en = {
        "entities": [
            span(EN, "Angela Merkel", "PER", 1),
            span(EN, "New York", "LOC", 2),
            span(EN, "U.N.", "ORG", 3),
        ],
        "topic": "news",
    }
    ko = {
        "entities": [
            span(KO, "김민수", "PER", 1),
            span(KO, "서울", "LOC", 2),
            span(KO, "삼성전자", "ORG", 3),
        ],
        "topic": "sport",
    }
    return [
        record(1, {"text": EN}, [label(en, "alice")], external_id="en-1"),
        record(2, {"text": KO}, [label(ko, "bob")], external_id="ko-1"),
        record(3, {"text": "No label here"}),
    ]


def triples(spans):
    return sorted((s["start"], s["end"], s["label"]) for s in spans)


def write_png(path, width: int, height: int) -> None:
    """A tiny grey PNG, so tests need no imaging library."""
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
