"""Load test of the aggregator on loopback: 4 concurrent uploaders, every unique payload stored exactly once.

A script, not a timed test. It starts `python -m ccp_assets.aggregator serve` on 127.0.0.1 (a real server
process, its own SQLite file in a temporary directory), then 4 uploader threads, each with its own HTTP
connection. Uploaders 0 and 1 share license A and send the same payloads in different orders (two
machines retrying each other's uploads), as do 2 and 3 with license B; every uploader also re-sends a
tenth of its payloads at once (a retry after a lost answer). Payloads are minimized summaries and
gzipped event batches, keyed by the SHA-256 of their bytes like the real sender.

Then, with the server stopped, the database is read back: one `uploads` row per unique (license, key),
every summary and every event stored once, the stored JSON equal to what was sent. Bounded: `--payloads`
per license (default 300) and `--max-seconds` for the whole run; all traffic stays on 127.0.0.1.

    .venv/bin/python bench/aggregator_load.py                 # 2 x 300 unique payloads, ~1,300 requests
    .venv/bin/python bench/aggregator_load.py --payloads 100  # quicker
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from base64 import b64encode
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ccp_assets.aggregator.server import spawn  # noqa: E402
from ccp_assets.licensing.issuing import build_license, keygen, load_private_key, sign_envelope  # noqa: E402

KID = "bench-load-1"
EVENTS_PER_BATCH = 50


@dataclass
class Payload:
    path: str
    body: bytes  # exactly what goes on the wire
    doc: dict[str, Any]  # what the server must store
    gzip: bool

    @property
    def key(self) -> str:
        return hashlib.sha256(self.body).hexdigest()


@dataclass
class Uploader:
    name: str
    license_header: str
    payloads: list[Payload]
    latencies: list[float] = field(default_factory=list)
    stored_latencies: list[float] = field(default_factory=list)  # answers that stored (not replays)
    statuses: dict[int, int] = field(default_factory=dict)
    replayed: int = 0


def make_payloads(license_no: int, count: int, rng: random.Random) -> list[Payload]:
    """Half minimized daily summaries, half gzipped batches of 50 events."""
    out = []
    start = date(2025, 1, 1)
    for i in range(count):
        if i % 2 == 0:
            doc: dict[str, Any] = {
                "date": (start + timedelta(days=i // 2)).isoformat(),
                "tier": "minimized",
                "sessions": rng.randint(1, 40),
                "turns": rng.randint(10, 900),
                "tokens_by_model": {"claude-sonnet-4-5-20250929": rng.randint(1000, 10**7)},
                "cost_usd_by_model": {"claude-sonnet-4-5-20250929": round(rng.uniform(0, 50), 4)},
            }
            out.append(Payload("/v1/metrics", json.dumps(doc).encode(), doc, False))
        else:
            events = [
                {"kind": "turn", "license": license_no, "batch": i, "seq": j, "tokens": rng.randint(1, 9999)}
                for j in range(EVENTS_PER_BATCH)
            ]
            doc = {"events": events}
            out.append(Payload("/v1/events", gzip.compress(json.dumps(doc).encode(), mtime=0), doc, True))
    return out


def start_server(
    work: Path, keys_file: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """The aggregator process on a free loopback port (extra_env: other settings, e.g. team_load.py's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "CCP_HOME": str(work / "home"),
            "CCP_AGGREGATOR_DB": str(work / "agg.sqlite"),
            "CCP_AGGREGATOR_TRUSTED_KEYS": str(keys_file),
            "CCP_AGGREGATOR_RATE_PER_S": "100000",
            "CCP_AGGREGATOR_RATE_BURST": "100000",
            **(extra_env or {}),
        }
    )
    try:
        return spawn(env)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None


def run_uploader(up: Uploader, url: str, deadline: float, rng: random.Random) -> None:
    order = up.payloads[:]
    rng.shuffle(order)
    sends = []
    for p in order:
        sends.append(p)
        if rng.random() < 0.1:
            sends.append(p)  # the retry after a lost answer
    with httpx.Client(base_url=url, timeout=30) as http:
        for p in sends:
            if time.monotonic() > deadline:
                raise SystemExit(f"{up.name}: over the time budget")
            hdrs = {
                "X-CCP-License": up.license_header,
                "Idempotency-Key": p.key,
                "Content-Type": "application/json",
            }
            if p.gzip:
                hdrs["Content-Encoding"] = "gzip"
            t0 = time.perf_counter()
            r = http.post(p.path, content=p.body, headers=hdrs)
            took = time.perf_counter() - t0
            up.latencies.append(took)
            up.statuses[r.status_code] = up.statuses.get(r.status_code, 0) + 1
            if r.headers.get("Idempotent-Replayed") == "true":
                up.replayed += 1
            else:
                up.stored_latencies.append(took)


def check_exactly_once(db: Path, licenses: dict[str, list[Payload]]) -> dict[str, int]:
    """Every unique payload stored once and as sent; raises AssertionError otherwise."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = conn.execute("SELECT id, scope, idem_key, kind FROM uploads").fetchall()
        want = {(scope, p.key) for scope, ps in licenses.items() for p in ps}
        got = [(scope, key) for _, scope, key, _ in rows]
        assert len(got) == len(set(got)) == len(want) and set(got) == want, (
            "uploads differ from the unique set"
        )
        by_key = {(scope, p.key): p for scope, ps in licenses.items() for p in ps}
        metrics = dict(conn.execute("SELECT upload_id, payload FROM metrics").fetchall())
        events: dict[str, list[tuple[int, str]]] = {}
        for upload_id, seq, payload in conn.execute("SELECT upload_id, seq, payload FROM events"):
            events.setdefault(upload_id, []).append((seq, payload))
        for upload_id, scope, key, kind in rows:
            sent = by_key[(scope, key)]
            if kind == "metrics":
                assert json.loads(metrics.pop(upload_id)) == sent.doc, f"metrics {key[:12]} differs"
            else:
                stored = [json.loads(p) for _, p in sorted(events.pop(upload_id))]
                assert stored == sent.doc["events"], f"events {key[:12]} differ"
        assert not metrics and not events, "payload rows without an upload"
        n_events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        n_metrics = conn.execute("SELECT count(*) FROM metrics").fetchone()[0]
    return {"uploads": len(rows), "metrics": n_metrics, "events": n_events}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--payloads", type=int, default=300, help="unique payloads per license (2 licenses)")
    ap.add_argument("--max-seconds", type=float, default=300.0, help="give up after this long")
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.max_seconds
    with tempfile.TemporaryDirectory(prefix="ccp-agg-load-") as tmp:
        work = Path(tmp)
        key_path, keys_file = keygen(KID, work / "operator")
        key = load_private_key(key_path)
        headers, licenses = {}, {}
        for name in ("A", "B"):
            lic_id = f"lic-load-{name}"
            pack = sign_envelope(
                "license", build_license(KID, "pro", ["telemetry_full"], 30, license_id=lic_id), key
            )
            headers[name] = b64encode(json.dumps(pack).encode()).decode()
            licenses[f"{KID}/{lic_id}"] = make_payloads(ord(name), args.payloads, rng)
        scopes = list(licenses)
        uploaders = [
            Uploader(f"uploader-{i}", headers["AB"[i // 2]], licenses[scopes[i // 2]]) for i in range(4)
        ]
        proc, url = start_server(work, keys_file)
        try:
            threads = [
                threading.Thread(target=run_uploader, args=(u, url, deadline, random.Random(args.seed + i)))
                for i, u in enumerate(uploaders)
            ]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
        finally:
            proc.send_signal(signal.SIGTERM)  # a clean stop checkpoints the WAL
            proc.wait(30)
        counts = check_exactly_once(work / "agg.sqlite", licenses)
    lat = sorted(x for u in uploaders for x in u.latencies)
    statuses: dict[int, int] = {}
    for u in uploaders:
        for s, n in u.statuses.items():
            statuses[s] = statuses.get(s, 0) + n
    assert set(statuses) == {202}, f"answers other than 202: {statuses}"
    q = statistics.quantiles(lat, n=100)
    qs = statistics.quantiles([x for u in uploaders for x in u.stored_latencies], n=100)
    result = {
        "requests": len(lat),
        "unique_payloads": sum(len(ps) for ps in licenses.values()),
        "replayed_answers": sum(u.replayed for u in uploaders),
        "stored": counts,
        "wall_s": round(wall, 2),
        "req_per_s": round(len(lat) / wall, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "stored_p50_ms": round(qs[49] * 1000, 1),
        "stored_p99_ms": round(qs[98] * 1000, 1),
        "load_avg_1min": round(os.getloadavg()[0], 1),
        "statuses": statuses,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    print("exactly once: every unique payload stored once, equal to what was sent")


if __name__ == "__main__":
    main()
