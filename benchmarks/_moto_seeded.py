"""moto's standalone S3 server (the server the tests run, ``python -m
moto.server``), with buckets filled in its own process before it serves: one
``put_object`` call into its backend per key, no request. Filling moto by PUT
took tens of minutes for 100,000 objects; this takes seconds. What is served
afterwards is moto's own server, unchanged, over HTTP on 127.0.0.1.

    python benchmarks/_moto_seeded.py --port 5000 --seed sharded=sharded:100000
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.s3.models import s3_backends
from werkzeug.serving import run_simple

sys.path.insert(0, str(Path(__file__).parent))
from _s3 import key_of, parse_seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--seed", action="append", default=[], help="BUCKET=LAYOUT:N (sharded, shards or flat)"
    )
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto.server sets it
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    for bucket, (layout, n) in parse_seed(args.seed).items():
        backend.create_bucket(bucket, "us-east-1")
        for i in range(n):
            backend.put_object(bucket, f"in/{key_of(layout, i)}", b"x")
    run_simple(
        "127.0.0.1",
        args.port,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
