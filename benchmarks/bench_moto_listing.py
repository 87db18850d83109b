"""Where moto's standalone S3 server spends a listing page: its backend's
``list_objects_v2`` (the key scan, sort and cut, in process, no HTTP) for a
page of the whole prefix and for a page of one 1,000-key shard, and the whole
server answering one page (request, backend and XML serialisation, through
werkzeug's test client). Explains the ``Sync from S3`` figures in
docs/benchmarks.md.

    python benchmarks/bench_moto_listing.py --objects 100000
"""

from __future__ import annotations

import argparse
import json
import time

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.s3.models import s3_backends
from werkzeug.test import Client


def best_of(n: int, run) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return round(min(times), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=100_000)
    args = parser.parse_args()
    app = Client(DomainDispatcherApplication(create_backend_app))
    host = {"Host": "127.0.0.1:5000"}
    assert app.put("/bench", headers=host).status_code == 200
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    for i in range(args.objects):
        backend.put_object("bench", f"in/{i // 1000:04d}/{i:07d}.jpg", b"x")
    bucket = backend.get_bucket("bench")

    def page(prefix: str) -> None:
        backend.list_objects_v2(bucket, prefix, None, None, None, 1000)

    def http_page(prefix: str) -> None:
        assert app.get(f"/bench?list-type=2&prefix={prefix}", headers=host).status_code == 200

    result = {
        "objects": args.objects,
        "backend_page_whole_prefix_s": best_of(3, lambda: page("in/")),
        "backend_page_one_shard_s": best_of(3, lambda: page("in/0003/")),
        "backend_folders_s": best_of(
            3, lambda: backend.list_objects_v2(bucket, "in/", "/", None, None, 1000)
        ),
        "server_page_whole_prefix_s": best_of(3, lambda: http_page("in/")),
        "server_page_one_shard_s": best_of(3, lambda: http_page("in/0003/")),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
