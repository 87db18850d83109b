"""Export speed and memory of labelwell's streaming formats.

Each case runs in its own subprocess (so peak RSS, ``ru_maxrss``, is the
case's own) on the same synthetic data, and the table gives time, peak RSS
and the ratio to the baseline measured in the same run:

* ``coco``: COCO export of ``--images`` images with ``--boxes`` boxes each,
  records generated on the fly as the store streams them; baseline
  ``coco-dict``, the usual approach (one in-memory dict, ``json.dump``).
* ``conll``: JSONL file -> labelwell's JSONL importer -> CoNLL export, for
  ``--docs`` documents with three entities each; baseline ``conll-spacy``:
  spaCy's own tokenizer (``spacy.blank("en")``) and
  ``spacy.training.offsets_to_biluo_tags`` on the same texts, writing the same
  lines.

Run: ``.venv/bin/python benchmarks/bench_formats.py [--json out.json]``.
Times include generating the records (reported alone as ``gen``).
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ONTOLOGY = {
    "name": "bench",
    "controls": [
        {
            "name": "boxes",
            "type": "bbox",
            "source": "image",
            "labels": [f"c{i}" for i in range(20)],
        },
        {"name": "entities", "type": "spans", "source": "text", "labels": ["PER", "LOC", "ORG"]},
    ],
}
PEOPLE = ["Angela Merkel", "김민수", "Ada Lovelace", "José Martí", "Ngozi Okonjo-Iweala"]
CITIES = ["New York", "서울", "São Paulo", "Zürich", "Lagos"]
ORGS = ["U.N.", "삼성전자", "Acme Corp.", "CERN", "Médecins Sans Frontières"]


def coco_records(images: int, boxes: int) -> Iterator:
    from labelwell.formats.registry import ExportRecord, LabelRecord, Provenance

    rng = random.Random(0)
    prov = Provenance(source="human", agent="annotator@example.org")
    for i in range(1, images + 1):
        regions = []
        for j in range(boxes):
            x, y = rng.random() * 600, rng.random() * 400
            regions.append(
                {
                    "id": f"{i}-{j}",
                    "label": f"c{j % 20}",
                    "x": x,
                    "y": y,
                    "width": 30.0,
                    "height": 20.0,
                }
            )
        ann = LabelRecord(id=i, result={"boxes": regions}, provenance=prov)
        data = {"image": f"images/{i:07d}.jpg", "width": 640, "height": 480}
        yield ExportRecord(i, str(i), data, [], "done", annotations=[ann])


def doc(i: int) -> tuple[str, list[dict]]:
    p, c, o = PEOPLE[i % 5], CITIES[(i // 5) % 5], ORGS[(i // 25) % 5]
    text = f"On day {i}, {p} visited {c}.\nLater {o} announced new results for the year."
    spans = []
    for part, label in ((p, "PER"), (c, "LOC"), (o, "ORG")):
        s = text.index(part)
        spans.append({"id": label, "start": s, "end": s + len(part), "label": label})
    return text, spans


def run_case(case: str, args: argparse.Namespace) -> dict:
    out_dir = Path(tempfile.mkdtemp(prefix="bench-formats-"))
    t_gen = 0.0
    if case in ("coco", "coco-dict"):
        start = time.perf_counter()
        for _ in coco_records(args.images, args.boxes):
            pass
        t_gen = time.perf_counter() - start
    start = time.perf_counter()
    if case == "coco":
        from labelwell.formats.coco import CocoExporter

        with (out_dir / "coco.json").open("wb") as fh:
            CocoExporter().write(coco_records(args.images, args.boxes), fh, ONTOLOGY)
    elif case == "coco-dict":
        images, anns = [], []
        for rec in coco_records(args.images, args.boxes):
            images.append(
                {"id": rec.item_id, "file_name": rec.data["image"], "width": 640, "height": 480}
            )
            for r in rec.annotations[0].result["boxes"]:
                box = [r["x"], r["y"], r["width"], r["height"]]
                anns.append(
                    {
                        "id": len(anns) + 1,
                        "image_id": rec.item_id,
                        "category_id": int(r["label"][1:]) + 1,
                        "bbox": box,
                        "area": box[2] * box[3],
                        "segmentation": [],
                        "iscrowd": 0,
                    }
                )
        cats = [{"id": i + 1, "name": f"c{i}"} for i in range(20)]
        with (out_dir / "coco.json").open("w") as fh:
            json.dump({"images": images, "annotations": anns, "categories": cats}, fh)
    else:
        src = out_dir / "docs.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for i in range(args.docs):
                text, spans = doc(i)
                row = {
                    "data": {"text": text},
                    "annotations": [{"result": {"entities": spans}, "annotator": "a"}],
                }
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        if case == "conll-spacy":  # imports and pipeline set-up are not timed
            import spacy
            from spacy.training import offsets_to_biluo_tags

            nlp = spacy.blank("en")
        start = time.perf_counter()
        if case == "conll":
            from labelwell.formats.conll import ConllExporter
            from labelwell.formats.jsonl import JsonlImporter
            from labelwell.formats.registry import ExportRecord, LabelRecord, Provenance

            def records() -> Iterator[ExportRecord]:
                for n, row in enumerate(JsonlImporter().read(src), start=1):
                    anns = [
                        LabelRecord(None, a["result"], Provenance("human", a.get("annotator", "")))
                        for a in row.annotations
                    ]
                    yield ExportRecord(n, row.external_id, row.data, [], "done", annotations=anns)

            with (out_dir / "out.conll").open("wb") as fh:
                ConllExporter().write(records(), fh, ONTOLOGY)
        else:
            with src.open(encoding="utf-8") as fin, (out_dir / "out.conll").open("w") as fout:
                for line in fin:
                    row = json.loads(line)
                    text = row["data"]["text"]
                    ents = [
                        (s["start"], s["end"], s["label"])
                        for s in row["annotations"][0]["result"]["entities"]
                    ]
                    d = nlp.make_doc(text)
                    tags = offsets_to_biluo_tags(d, ents)
                    buf = io.StringIO()
                    buf.write("-DOCSTART- -X- -X- O\n\n")
                    for tok, tag in zip(d, tags, strict=True):
                        if not tok.is_space:
                            buf.write(f"{tok.text} _ _ {tag}\n")
                    fout.write(buf.getvalue() + "\n")
    seconds = time.perf_counter() - start
    size = sum(p.stat().st_size for p in out_dir.iterdir())
    for p in out_dir.iterdir():
        p.unlink()
    out_dir.rmdir()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "case": case,
        "seconds": round(seconds, 2),
        "gen_seconds": round(t_gen, 2),
        "peak_rss_mb": round(rss_mb, 1),
        "output_mb": round(size / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--boxes", type=int, default=10)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--cases", default="coco,coco-dict,conll,conll-spacy")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_case(args.child, args)))
        return
    results = {}
    for case in args.cases.split(","):
        cmd = [
            sys.executable,
            __file__,
            "--child",
            case,
            "--images",
            str(args.images),
            "--boxes",
            str(args.boxes),
            "--docs",
            str(args.docs),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results[case] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"# {platform.python_version()} on {platform.machine()}, shared loaded 2-core machine")
    print(f"# coco: {args.images} images x {args.boxes} boxes; conll: {args.docs} documents")
    cols = ("seconds", "gen_seconds", "peak_rss_mb", "output_mb")
    print(f"{'case':<12}" + "".join(f"{c:>13}" for c in cols) + f"{'time ratio':>12}")
    for case, r in results.items():
        base = {"coco": "coco-dict", "conll": "conll-spacy"}.get(case)
        ratio = f"{results[base]['seconds'] / r['seconds']:.2f}x" if base in results else ""
        print(f"{case:<12}" + "".join(f"{r[c]:>13}" for c in cols) + f"{ratio:>12}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
