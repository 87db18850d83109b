"""Embedding speed and accuracy: labelwell's ONNX Runtime backends beside
sentence-transformers on the same texts and threads, in one run; and the
on-disk cache at a million vectors.

* ``speed``: items/s embedding the distinct YouTube spam comments (1,761), cold
  (no cache), each backend on ``--threads`` threads, best of ``--repeat``;
* ``accuracy``: the worst and the 1st-percentile cosine of each ONNX backend's
  vectors to sentence-transformers' over every comment (targets: float32 >=
  0.9999, int8 >= 0.99);
* ``cache``: write ``--vectors`` random unit vectors into an
  :class:`EmbeddingCache` folder, then open it in a fresh process and look up
  1,000 keys: seconds to open and the process's peak RSS growth (target: < 1 s,
  < 100 MB for 1,000,000 vectors).

Run: ``.venv/bin/python benchmarks/bench_embeddings.py [--threads 2] [--vectors 1000000]
[--json out.json]``. Reads ``../shared/datasets/text/youtube_spam`` in place.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "datasets" / "text" / "youtube_spam"


def comments() -> list[str]:
    if not DATA.is_dir():
        sys.exit(f"skipped: {DATA} is missing (the shared datasets folder is not here)")
    texts = pd.concat(pd.read_csv(p) for p in sorted(DATA.glob("*.csv")))["CONTENT"]
    return texts.astype(str).drop_duplicates().tolist()


def speed_and_accuracy(texts: list[str], threads: int, repeat: int, models: Path) -> dict:
    import torch

    from labelwell.assist.embeddings import load_minilm
    from labelwell.assist.onnx_minilm import OnnxMiniLM

    torch.set_num_threads(threads)
    st = load_minilm("cpu")
    backends = {
        "sentence-transformers (torch)": lambda: st.encode(
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True
        ),
    }
    for name, int8 in (("labelwell onnx", False), ("labelwell onnx-int8", True)):
        model = OnnxMiniLM(models, int8=int8, threads=threads)
        backends[name] = lambda model=model: model.encode(texts)
    results: dict[str, dict] = {}
    vectors: dict[str, np.ndarray] = {}
    for name, run in backends.items():
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            vectors[name] = np.asarray(run(), dtype=np.float32)
            best = min(best, time.perf_counter() - start)
        results[name] = {"seconds": round(best, 2), "items_per_s": round(len(texts) / best, 1)}
    reference = vectors["sentence-transformers (torch)"]
    base = results["sentence-transformers (torch)"]["items_per_s"]
    for name, found in vectors.items():
        cosine = (found * reference).sum(axis=1)
        results[name]["ratio"] = round(results[name]["items_per_s"] / base, 2)
        results[name]["min_cosine"] = float(round(cosine.min(), 6))
        results[name]["p1_cosine"] = float(round(np.percentile(cosine, 1), 6))
    return results


_OPEN = """
import sys, time
from labelwell.assist.embeddings import EmbeddingCache, content_key

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

n = int(sys.argv[2])
keys = [content_key(f"text {i}") for i in range(0, n, max(1, n // 1000))]
before = rss_mb()
start = time.perf_counter()
cache = EmbeddingCache(sys.argv[1])
opened = time.perf_counter() - start
start = time.perf_counter()
found, _ = cache.lookup(keys)
looked = time.perf_counter() - start
print(opened, looked, int(found.sum()), len(keys), rss_mb() - before, rss_mb())
"""


def cache(n: int) -> dict:
    from labelwell.assist.embeddings import DIM, EmbeddingCache, content_key

    with tempfile.TemporaryDirectory() as folder:
        store = EmbeddingCache(folder)
        rng = np.random.default_rng(0)
        chunk = 100_000
        start = time.perf_counter()
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            vectors = rng.normal(size=(hi - lo, DIM)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            store.put([content_key(f"text {i}") for i in range(lo, hi)], vectors)
        written = time.perf_counter() - start
        out = subprocess.run(
            [sys.executable, "-c", _OPEN, folder, str(n)],
            capture_output=True, text=True, check=True,
        ).stdout.split()
        size = sum(p.stat().st_size for p in Path(folder).iterdir())
    opened, looked, found, asked, rss_growth, rss = out
    return {
        "vectors": n,
        "write_s": round(written, 1),
        "disk_mb": round(size / 2**20),
        "open_s": round(float(opened), 3),
        "lookup_1000_s": round(float(looked), 3),
        "found": f"{found}/{asked}",
        "rss_growth_mb": round(float(rss_growth), 1),
        "process_rss_mb": round(float(rss), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("speed", "cache"))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report: dict = {"threads": args.threads, "load_average": os.getloadavg()[0]}
    if args.only != "cache":
        texts = comments()
        with tempfile.TemporaryDirectory() as models:
            report["texts"] = len(texts)
            report["speed"] = speed_and_accuracy(texts, args.threads, args.repeat, Path(models))
    if args.only != "speed":
        report["cache"] = cache(args.vectors)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
