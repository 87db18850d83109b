"""Annotation throughput over HTTP: 16 concurrent annotators doing next-task +
submit loops against `labelwell serve` (SQLite and PostgreSQL), and 16 clients
posting annotations to Label Studio's API (SQLite), in one run.

    python benchmarks/bench_submit.py --seconds 20 --json /tmp/submit.json
    python benchmarks/bench_submit.py --overlap 1,3 --no-label-studio

With ``--overlap 3`` every item goes to three annotators and the third answer
decides it in the same transaction (all agree: adopted; two agree: adopted and
the dissenter reviewed; none: escalated); answers are drawn at random, mostly
"positive", so every outcome occurs. Target for overlap 3: >= 500
submissions/s with submit p99 < 100 ms on both databases.

Label Studio runs from its own virtual environment (benchmarks/.venv-labelstudio,
`pip install label-studio==1.23.2`); it is skipped with a message when absent.

With ``--where`` each labelwell run also says where its time went, over the
measured window: the CPU seconds per next+submit loop of the server processes,
of PostgreSQL's backends and of this client (psutil), and on PostgreSQL what
its sessions were doing, sampled from ``pg_stat_activity`` every few
milliseconds (the average number of sessions in each state and wait event,
and the statements they were waiting in).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from _core import ROOT, Server, free_port, fresh_database, percentiles, seed  # noqa: E402
from _http import Connection  # noqa: E402

CLIENTS = 16


#: answers drawn for overlap > 1 (mostly agreeing, as real annotators do)
ANSWERS = ("positive",) * 8 + ("negative", "neutral")


WARMUP_S = 3.0


async def labelwell_load(url: str, project_id: int, tokens: list[str], seconds: float,
                         warmup: float = WARMUP_S, seed: int = 0) -> dict[str, object]:
    next_lat: list[float] = []
    submit_lat: list[float] = []
    counted = 0
    errors = 0
    start = time.perf_counter()
    t_measure = start + warmup
    t_end = t_measure + seconds

    rng = random.Random(seed)

    async def annotator(token: str) -> None:
        nonlocal counted, errors
        http = Connection.for_url(url, {"Authorization": f"Bearer {token}"})
        try:
            while time.perf_counter() < t_end:
                t0 = time.perf_counter()
                task = await http.post(f"/api/v1/projects/{project_id}/tasks/next")
                t1 = time.perf_counter()
                if task.status_code != 200:
                    errors += 1
                    return
                done = await http.post(
                    f"/api/v1/assignments/{task.json()['assignment_id']}/submit",
                    {"result": {"sentiment": rng.choice(ANSWERS)},
                     "idempotency_key": secrets.token_hex(8)})
                t2 = time.perf_counter()
                if done.status_code != 201:
                    errors += 1
                    continue
                if t_measure <= t0 and t2 <= t_end:
                    counted += 1
                    next_lat.append(t1 - t0)
                    submit_lat.append(t2 - t1)
        finally:
            await http.close()

    await asyncio.gather(*(annotator(t) for t in tokens))
    return {"submissions_per_s": round(counted / seconds, 1), "submissions": counted,
            "errors": errors, "next": percentiles(next_lat), "submit": percentiles(submit_lat)}


def _cpu_by_group(server_pid: int, backends: frozenset[int]) -> Counter[str]:
    """CPU seconds so far of the server's processes, of the PostgreSQL
    backends serving them (``backends``) and of this process."""
    found: Counter[str] = Counter()
    for proc in psutil.process_iter():
        try:
            used = sum(proc.cpu_times()[:2])
            if proc.pid == os.getpid():
                found["client"] += used
            elif proc.pid in backends:
                found["postgres"] += used
            elif proc.pid == server_pid or server_pid in (p.pid for p in proc.parents()):
                found["server"] += used
        except psutil.Error:
            continue
    return found


class Where:
    """Where a run's time went (``--where``), over the measured window."""

    def __init__(self, kind: str, url: str, server_pid: int, warmup: float,
                 seconds: float) -> None:
        self.kind, self.url, self.server_pid = kind, url, server_pid
        self.warmup, self.seconds = warmup, seconds
        self.cpu: dict[str, float] = {}
        self.states: Counter[tuple[str, str]] = Counter()
        self.waiting_in: Counter[tuple[str, str]] = Counter()
        self.samples = 0
        self._thread = threading.Thread(target=self._watch)

    def __enter__(self) -> Where:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._thread.join()

    def _watch(self) -> None:
        time.sleep(self.warmup)
        watch = None
        backends: frozenset[int] = frozenset()
        if self.kind == "postgres":
            import psycopg

            conninfo = self.url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
            watch = psycopg.connect(conninfo, autocommit=True)
            ports = self._server_ports()
            backends = frozenset(
                pid for (pid,) in watch.execute(
                    "SELECT pid FROM pg_stat_activity WHERE client_port = ANY(%s)", (ports,))
            )
        before, start = _cpu_by_group(self.server_pid, backends), time.monotonic()
        end = start + self.seconds
        if watch is not None:
            with watch:
                self._sample(watch, ports, end)
        else:
            time.sleep(max(0.0, end - time.monotonic()))
        after, elapsed = _cpu_by_group(self.server_pid, backends), time.monotonic() - start
        self.cpu = {k: (after[k] - before[k]) / elapsed for k in ("server", "postgres", "client")}

    def _server_ports(self) -> list[int]:
        """The local ports of the server processes' connections to PostgreSQL
        (so other sessions of the same database are not counted)."""
        ports = []
        server = psutil.Process(self.server_pid)
        for proc in (server, *server.children(recursive=True)):
            try:
                for conn in proc.net_connections(kind="tcp"):
                    if conn.raddr and conn.raddr.port == 5432:
                        ports.append(conn.laddr.port)
            except psutil.Error:
                continue
        return ports

    def _sample(self, watch: Any, ports: list[int], end: float) -> None:
        """What the server's sessions do, every 3 ms until ``end``."""
        while time.monotonic() < end:
            rows = watch.execute(
                "SELECT state, wait_event_type, wait_event, left(query, 60)"
                " FROM pg_stat_activity WHERE client_port = ANY(%s)",
                (ports,),
            ).fetchall()
            for state, kind, event, query in rows:
                waiting = f"{kind}: {event}" if kind else "running"
                self.states[(str(state), waiting)] += 1
                if state == "active" and kind in ("Lock", "LWLock", "IO"):
                    self.waiting_in[(waiting, str(query))] += 1
            self.samples += 1
            time.sleep(0.003)

    def report(self, rate: float) -> dict[str, object]:
        n = max(self.samples, 1)
        return {
            "cores": {k: round(v, 2) for k, v in self.cpu.items()},
            "cpu_ms_per_loop": {k: round(1000 * v / rate, 2) for k, v in self.cpu.items()}
            if rate else {},
            "sessions": [[round(c / n, 2), *key] for key, c in self.states.most_common(8)],
            "waiting_in": [[round(c / n, 2), *key] for key, c in self.waiting_in.most_common(6)],
        }


def bench_labelwell(kind: str, seconds: float, workers: int,
                    overlap: int = 1, where: bool = False,
                    clients: int = CLIENTS) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(kind, Path(tmp))
        project_id, tokens = seed(url, annotators=clients, items=60_000, overlap=overlap)
        with Server(url, workers=workers) as server:
            if not where:
                result = asyncio.run(labelwell_load(server.url, project_id, tokens, seconds))
            else:
                with Where(kind, url, server.proc.pid, WARMUP_S, seconds) as watch:
                    result = asyncio.run(labelwell_load(server.url, project_id, tokens, seconds))
                result["where"] = watch.report(float(result["submissions_per_s"]))
    who = "" if clients == CLIENTS else f", {clients} annotators"
    return {"system": f"labelwell ({kind}, {workers} workers, overlap {overlap}{who})", **result}


LS_CONFIG = """<View><Text name="text" value="$text"/>
<Choices name="sentiment" toName="text"><Choice value="positive"/><Choice value="negative"/>
</Choices></View>"""


def bench_label_studio(seconds: float) -> dict[str, object] | None:
    exe = ROOT / "benchmarks" / ".venv-labelstudio" / "bin" / "label-studio"
    if not exe.exists():
        print("Label Studio skipped: benchmarks/.venv-labelstudio is missing", file=sys.stderr)
        return None
    port = free_port()
    token = secrets.token_hex(20)
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": data_dir,
               "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true", "DJANGO_DB": "sqlite",
               "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true"}
        proc = subprocess.Popen(
            [str(exe), "start", "--no-browser", "--port", str(port), "--data-dir", data_dir,
             "--username", "bench@example.org", "--password", "bench-password",
             "--user-token", token],
            env=env, start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(1)
            else:
                raise RuntimeError("Label Studio did not start")
            headers = {"Authorization": f"Token {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
                project = http.post("/api/projects", json={"title": "bench",
                                                           "label_config": LS_CONFIG})
                project.raise_for_status()
                pid = project.json()["id"]
                tasks = [{"text": f"review number {i}: pretty good"} for i in range(10_000)]
                t0 = time.perf_counter()
                http.post(f"/api/projects/{pid}/import", json=tasks).raise_for_status()
                import_rate = len(tasks) / (time.perf_counter() - t0)
                ids: list[int] = []
                page = 1
                while len(ids) < 10_000:
                    r = http.get("/api/tasks", params={"project": pid, "page": page,
                                                       "page_size": 1000})
                    if r.status_code != 200:
                        break
                    batch = [t["id"] for t in r.json()["tasks"]]
                    if not batch:
                        break
                    ids += batch
                    page += 1
            result = asyncio.run(_ls_load(base, headers, ids, seconds))
            result["import_tasks_per_s"] = round(import_rate, 1)
            return {"system": "Label Studio 1.23.2 (SQLite)", **result}
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


async def _ls_load(base: str, headers: dict[str, str], ids: list[int],
                   seconds: float, warmup: float = 3.0) -> dict[str, object]:
    lat: list[float] = []
    counted = 0
    errors = 0
    t_measure = time.perf_counter() + warmup
    t_end = t_measure + seconds
    result = [{"from_name": "sentiment", "to_name": "text", "type": "choices",
               "value": {"choices": ["positive"]}}]

    async def client(mine: list[int]) -> None:
        nonlocal counted, errors
        http = Connection.for_url(base, headers)
        try:
            for task_id in mine:
                if time.perf_counter() >= t_end:
                    return
                t0 = time.perf_counter()
                r = await http.post(f"/api/tasks/{task_id}/annotations", {"result": result})
                t1 = time.perf_counter()
                if r.status_code != 201:
                    errors += 1
                    continue
                if t_measure <= t0 and t1 <= t_end:
                    counted += 1
                    lat.append(t1 - t0)
        finally:
            await http.close()

    await asyncio.gather(*(client(ids[i::CLIENTS]) for i in range(CLIENTS)))
    return {"submissions_per_s": round(counted / seconds, 1), "submissions": counted,
            "errors": errors, "submit": percentiles(lat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2,
                        help="server processes for labelwell")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--no-label-studio", action="store_true")
    parser.add_argument("--overlap", default="1",
                        help="comma-separated overlaps to run, e.g. 1,3")
    parser.add_argument("--where", action="store_true",
                        help="say where each labelwell run's time went (CPU, database waits)")
    parser.add_argument("--clients", type=int, default=CLIENTS,
                        help="annotators working at once (16: the figures' setting)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = [bench_labelwell(kind, args.seconds, args.workers, int(overlap), args.where,
                            args.clients)
            for overlap in args.overlap.split(",") if overlap
            for kind in args.backends.split(",") if kind]
    if not args.no_label_studio:
        ls = bench_label_studio(args.seconds)
        if ls:
            rows.append(ls)
    ls_rate = next((r["submissions_per_s"] for r in rows if "Label" in str(r["system"])), None)
    for row in rows:
        ratio = (f"  ({row['submissions_per_s'] / ls_rate:.0f}x Label Studio)"
                 if ls_rate and "Label" not in str(row["system"]) else "")
        print(f"{row['system']}: {row['submissions_per_s']} submissions/s{ratio}, "
              f"submit {row['submit']}, next {row.get('next', '-')}, errors {row['errors']}")
        if "where" in row:
            print(f"  where: {json.dumps(row['where'])}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
