"""Demo projects with data made here (no downloads): sentiment, NER, image boxes,
street segmentation, video, speech-like audio, LiDAR point clouds and an RLHF
comparison project, plus demo users."""

from __future__ import annotations

import random
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labelwell.formats.registry import ImportRow
from labelwell.schema import Ontology
from labelwell.store.tables import Project, User
from labelwell.work import accounts, items, projects
from labelwell.work.actors import Actor

DEMO_PASSWORD = "labelwell-demo"
DEMO_USERS = [
    ("admin@demo.labelwell", "admin"),
    ("manager@demo.labelwell", "manager"),
    ("reviewer@demo.labelwell", "reviewer"),
    ("ann1@demo.labelwell", "annotator"),
    ("ann2@demo.labelwell", "annotator"),
    ("ann3@demo.labelwell", "annotator"),
]

REVIEWS = [
    ("The battery lasts two full days, I'm impressed.", "positive"),
    ("Stopped working after a week. Waste of money.", "negative"),
    ("It does what the box says, nothing more.", "neutral"),
    ("Shipping was fast and the packaging was lovely.", "positive"),
    ("The screen scratches if you look at it.", "negative"),
    ("Average sound, fair price.", "neutral"),
    ("배송이 빠르고 품질이 좋아요!", "positive"),
    ("설명과 다른 제품이 왔습니다.", "negative"),
    ("Best headphones I have owned, hands down.", "positive"),
    ("The app crashes every time I open settings.", "negative"),
    ("Colour is slightly different from the photos.", "neutral"),
    ("Customer support solved my issue in minutes.", "positive"),
]

NER_TEXTS = [
    "Ada Lovelace worked with Charles Babbage in London.",
    "김철수는 서울에 있는 삼성전자에서 일한다.",
    "OpenStreetMap volunteers mapped Nairobi in 2023.",
    "Marie Curie was born in Warsaw and worked at the University of Paris.",
    "이순신 장군은 한산도에서 승리했다 😀",
    "Grace Hopper joined the US Navy Reserve in 1943.",
]

PROMPTS = [
    (
        "Explain what a hash table is to a beginner.",
        "A hash table stores values under keys. A hash function turns each key into a slot "
        "number, so finding a value takes about the same time however many you store.",
        "Hash tables are data structures.",
    ),
    (
        "Give me a haiku about autumn.",
        "Maple leaves let go / the wind writes in red and gold / the path remembers",
        "Autumn is a season that comes after summer and before winter.",
    ),
    (
        "How do I reverse a list in Python?",
        "Use `items.reverse()` to reverse in place, or `items[::-1]` for a reversed copy.",
        "You can write a loop that goes from the end to the start and appends each element.",
    ),
    ("What is the capital of Australia?", "Canberra.", "Sydney is the capital of Australia."),
]

ONTOLOGIES: dict[str, dict[str, Any]] = {
    "demo-sentiment": {
        "name": "demo-sentiment",
        "controls": [
            {
                "name": "sentiment",
                "type": "choice",
                "source": "text",
                "options": ["positive", "negative", "neutral"],
                "required": True,
            }
        ],
    },
    "demo-ner": {
        "name": "demo-ner",
        "controls": [
            {
                "name": "entities",
                "type": "spans",
                "source": "text",
                "labels": [{"name": "PER"}, {"name": "ORG"}, {"name": "LOC"}, {"name": "DATE"}],
            }
        ],
    },
    "demo-boxes": {
        "name": "demo-boxes",
        "controls": [
            {
                "name": "objects",
                "type": "bbox",
                "source": "image",
                "labels": [{"name": "square"}, {"name": "bar"}],
            }
        ],
    },
    "demo-video": {
        "name": "demo-video",
        "controls": [
            {
                "name": "tracks",
                "type": "video_track",
                "source": "video",
                "labels": [
                    {"name": "red", "color": "#d64541"},
                    {"name": "blue", "color": "#3b6fd8"},
                ],
            },
            {
                "name": "actions",
                "type": "time_region",
                "source": "video",
                "labels": [{"name": "crossing"}, {"name": "apart"}],
            },
        ],
    },
    "demo-pointcloud": {
        "name": "demo-pointcloud",
        "controls": [
            {
                "name": "cuboids",
                "type": "cuboid",
                "source": "pointcloud",
                "labels": [{"name": "car"}, {"name": "pedestrian"}, {"name": "cyclist"}],
            }
        ],
    },
    "demo-segmentation": {
        "name": "demo-segmentation",
        "controls": [
            {
                "name": "scene",
                "type": "panoptic",
                "source": "image",
                "labels": [
                    {"name": "car", "is_thing": True},
                    {"name": "road", "is_thing": False},
                    {"name": "sky", "is_thing": False},
                ],
            }
        ],
    },
    "demo-audio": {
        "name": "demo-audio",
        "controls": [
            {
                "name": "turns",
                "type": "time_region",
                "source": "audio",
                "labels": [{"name": "speech"}, {"name": "noise"}],
            }
        ],
    },
    "demo-rlhf": {
        "name": "demo-rlhf",
        "controls": [
            {
                "name": "preference",
                "type": "pairwise",
                "source": "responses",
                "require_reason": False,
            },
            {
                "name": "quality",
                "type": "rating",
                "source": "responses",
                "scale": [1, 5],
                "aspects": ["helpfulness", "accuracy", "safety"],
                "required": False,
            },
        ],
    },
}


@dataclass
class DemoSummary:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    users: list[tuple[str, str]] = field(default_factory=list)
    admin_token: str | None = None


def png_bytes(
    width: int,
    height: int,
    boxes: list[tuple[int, int, int, int, tuple[int, ...]]],
    background: tuple[int, int, int] = (236, 240, 244),
) -> bytes:
    """A real RGB PNG with filled rectangles, written with zlib only."""
    row = bytearray(background * width)
    rows = [bytearray(row) for _ in range(height)]
    for x, y, w, h, colour in boxes:
        for yy in range(y, min(y + h, height)):
            rows[yy][x * 3 : (x + w) * 3] = bytes(colour) * (min(x + w, width) - x)
    raw = b"".join(b"\x00" + bytes(r) for r in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def _image_rows(media_dir: Path, n: int = 8, seed: int = 7) -> list[ImportRow]:
    rng = random.Random(seed)
    media_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        width, height = 320, 240
        boxes: list[tuple[int, int, int, int, tuple[int, ...]]] = []
        truth = []
        for j in range(rng.randint(1, 3)):
            kind = rng.choice(["square", "bar"])
            w, h = (40, 40) if kind == "square" else (90, 24)
            x, y = rng.randint(0, width - w), rng.randint(0, height - h)
            colour = (220, 80, 60) if kind == "square" else (60, 110, 220)
            boxes.append((x, y, w, h, colour))
            truth.append({"id": f"b{j}", "label": kind, "x": x, "y": y, "width": w, "height": h})
        path = media_dir / f"shapes_{i:03d}.png"
        path.write_bytes(png_bytes(width, height, boxes))
        data = {"image": str(path), "width": width, "height": height}
        rows.append(
            ImportRow(
                line=i + 1,
                data=data,
                external_id=f"img-{i:03d}",
                media=[str(path)],
                gold={"objects": truth} if i == 0 else None,
                predictions=[]
                if i == 0
                else [
                    {
                        "result": {"objects": truth[:1]},
                        "score": 0.7,
                        "model_name": "shape-detector",
                        "model_version": "0.1",
                    }
                ],
            )
        )
    return rows


def _video_rows(media_dir: Path, n: int = 2) -> list[ImportRow]:
    """Two seconds of moving rectangles each, encoded with PyAV (H.264)."""
    from labelwell.media.video import write_demo_video

    rows = []
    for i in range(n):
        path = media_dir / f"clip-{i}.mp4"
        write_demo_video(path, frames=48, fps=24)
        data = {"video": str(path), "frames": 48, "fps": 24, "duration": 2.0}
        rows.append(ImportRow(line=i + 1, data=data, media=[str(path)], external_id=f"clip-{i}"))
    return rows


def _pointcloud_rows(media_dir: Path, frames: int = 4) -> list[ImportRow]:
    """A street scanned ``frames`` times as binary PCD (about 22,000 points each),
    with a forward camera sketch per frame: one item per single frame, and one
    item holding the whole sequence."""
    from labelwell.media.pointcloud import camera_png, demo_boxes, synthetic_scene, write_pcd

    media_dir.mkdir(parents=True, exist_ok=True)
    scans, cameras = [], []
    for f in range(frames):
        boxes = demo_boxes(f)
        scan, camera = media_dir / f"scan-{f:02d}.pcd", media_dir / f"camera-{f:02d}.png"
        scan.write_bytes(write_pcd(synthetic_scene(boxes, seed=f)))
        camera.write_bytes(camera_png(boxes))
        scans.append(str(scan))
        cameras.append(str(camera))
    rows = [
        ImportRow(
            line=f + 1,
            data={"pointcloud": scans[f], "camera": cameras[f]},
            media=[scans[f], cameras[f]],
            external_id=f"scan-{f:02d}",
        )
        for f in range(2)
    ]
    rows.append(
        ImportRow(
            line=3,
            data={"pointcloud": scans, "camera": cameras},
            media=scans + cameras,
            external_id="sequence-0",
        )
    )
    return rows


def _audio_rows(media_dir: Path, n: int = 2, seconds: float = 8.0) -> list[ImportRow]:
    """Speech-like bursts of two synthetic speakers with silences between them,
    written as 16 kHz WAV (``labelwell.media.audio.speechlike``)."""
    from labelwell.media.audio import speechlike, wav_bytes

    media_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        path = media_dir / f"talk-{i}.wav"
        path.write_bytes(wav_bytes(speechlike(seconds, seed=i)[0]))
        data = {"audio": str(path), "duration": seconds}
        rows.append(ImportRow(line=i + 1, data=data, media=[str(path)], external_id=f"talk-{i}"))
    return rows


def _street_rows(media_dir: Path, n: int = 3) -> list[ImportRow]:
    """Streets of sky, road and cars (``labelwell.media.segmentation.demo_street``)."""
    from PIL import Image

    from labelwell.media.segmentation import demo_street

    media_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        path = media_dir / f"street-{i}.png"
        rgb = demo_street(seed=i)
        Image.fromarray(rgb).save(path)
        data = {"image": str(path), "width": rgb.shape[1], "height": rgb.shape[0]}
        rows.append(ImportRow(line=i + 1, data=data, media=[str(path)], external_id=f"street-{i}"))
    return rows


def _rows(name: str, media_dir: Path) -> list[ImportRow]:
    if name == "demo-sentiment":
        return [
            ImportRow(
                line=i + 1,
                data={"text": text},
                external_id=f"review-{i:03d}",
                gold={"sentiment": label} if i < 2 else None,
            )
            for i, (text, label) in enumerate(REVIEWS)
        ]
    if name == "demo-ner":
        return [
            ImportRow(line=i + 1, data={"text": text}, external_id=f"doc-{i:03d}")
            for i, text in enumerate(NER_TEXTS)
        ]
    if name == "demo-boxes":
        return _image_rows(media_dir)
    if name == "demo-video":
        return _video_rows(media_dir)
    if name == "demo-audio":
        return _audio_rows(media_dir)
    if name == "demo-segmentation":
        return _street_rows(media_dir)
    if name == "demo-pointcloud":
        return _pointcloud_rows(media_dir)
    return [
        ImportRow(
            line=i + 1,
            external_id=f"prompt-{i:03d}",
            data={
                "prompt": prompt,
                "responses": [
                    {"id": "a", "text": good, "model": "helpful-v2"},
                    {"id": "b", "text": weak, "model": "baseline-v1"},
                ],
            },
        )
        for i, (prompt, good, weak) in enumerate(PROMPTS)
    ]


def create_demo(session: Session, home: Path) -> DemoSummary:
    """Create demo users and projects; existing ones are left as they are."""
    summary = DemoSummary()
    users: dict[str, User] = {}
    for email, role in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = accounts.create_user(
                session, email, role=role, password=DEMO_PASSWORD, skills=["en", "ko"]
            )
        users[email] = user
        summary.users.append((email, role))
    admin = Actor.of(users["admin@demo.labelwell"])
    for name, ontology in ONTOLOGIES.items():
        if session.scalar(select(Project.id).where(Project.name == name)) is not None:
            summary.existing.append(name)
            continue
        project = projects.create_project(
            session,
            admin,
            name,
            Ontology.from_dict(ontology),
            guidelines=f"# {name}\n\nLabel what you see; skip with a reason when unsure.",
            overlap=1 if name != "demo-sentiment" else 3,
            gold_ratio=0.1,
            blind=True,
        )
        for email, role in DEMO_USERS[1:]:
            projects.set_member(
                session,
                admin,
                project.id,
                users[email].id,
                "manager"
                if role == "manager"
                else "reviewer"
                if role == "reviewer"
                else "annotator",
            )
        items.import_rows(
            session,
            admin,
            project.id,
            _rows(name, home / "media" / name),
            filename=f"{name}.generated",
            fmt="demo",
        )
        summary.created.append(name)
    summary.admin_token = accounts.create_token(
        session, users["admin@demo.labelwell"], name="demo"
    ).token
    return summary
