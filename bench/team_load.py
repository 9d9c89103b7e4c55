"""Team view under load, on loopback, on each store: 50 devices x 30 days of minimized summaries ingested,
then `GET /v1/team/daily` answered over all of them (issue 18).

A script, not a timed test. For each store it starts a real `python -m ccp_assets.aggregator serve`
process on 127.0.0.1: SQLite (a file in a temporary directory) and PostgreSQL (a private cluster of
Debian's postgresql on a free loopback port, started and removed by this script, tests/pg_server.py).
Every device has its own license of org "bench" and its own device id; each summary carries three models
with token kinds and costs and one provider's capacity. Four uploader threads (own HTTP connection each)
send the devices' days; then the team daily report is asked for `--queries` times and checked against
the sums the generator computed by hand (cost per day, devices per day, tokens per model).

Bounded: `--devices`, `--days`, and `--max-seconds` per store; all traffic stays on 127.0.0.1.

    .venv/bin/python bench/team_load.py                          # 50 x 30 = 1,500 summaries per store
    .venv/bin/python bench/team_load.py --devices 10 --days 7    # quicker
    .venv/bin/python bench/team_load.py --stores sqlite          # one store only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from base64 import b64encode
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.aggregator_load import start_server  # noqa: E402
from ccp_assets.licensing.issuing import build_license, keygen, load_private_key, sign_envelope  # noqa: E402

KID = "bench-team-1"
TOKEN = "bench-team-operator-token-0123456789"
MODELS = ("claude-opus-4-6", "claude-sonnet-4-5-20250929", "glm-4.6")
KINDS = ("input", "output", "cache_creation", "cache_read")


def summaries(devices: int, days: int, rng: random.Random) -> tuple[list[tuple[int, dict[str, Any]]], dict]:
    """[(device no, summary)] and the expected sums per day, computed here by hand."""
    start = date(2026, 1, 1)
    out: list[tuple[int, dict[str, Any]]] = []
    want: dict[str, dict[str, Any]] = {}
    for d in range(devices):
        device_id = f"{d:032x}"
        for i in range(days):
            day = (start + timedelta(days=i)).isoformat()
            tokens, costs = {}, {}
            for m in MODELS:
                kinds = {k: rng.randint(0, 200_000) for k in KINDS}
                tokens[m] = {**kinds, "total": sum(kinds.values())}
                costs[m] = round(rng.uniform(0, 20), 6)
            doc = {
                "date": day,
                "tier": "minimized",
                "device_id": device_id,
                "sessions": rng.randint(1, 9),
                "turns": rng.randint(10, 400),
                "tokens_by_model": tokens,
                "cost_usd_by_model": costs,
                "efficiency_by_provider": {
                    "claude": {"features": rng.randint(0, 5), "capacity": rng.randint(1, 30), "capacity_unit": "pp"}
                },
            }
            out.append((d, doc))
            w = want.setdefault(day, {"cost": 0.0, "devices": set(), "tokens": dict.fromkeys(MODELS, 0)})
            w["cost"] += sum(costs.values())
            w["devices"].add(device_id)
            for m in MODELS:
                w["tokens"][m] += tokens[m]["total"]
    return out, want


def ingest(url: str, work: list[tuple[int, dict]], licenses: list[str], threads: int, deadline: float) -> list[float]:
    latencies: list[float] = []
    lock = threading.Lock()

    def run(part: list[tuple[int, dict]]) -> None:
        with httpx.Client(base_url=url, timeout=60) as http:
            for n, (d, doc) in enumerate(part):
                if time.monotonic() > deadline:
                    raise SystemExit("over the time budget")
                hdrs = {"X-CCP-License": licenses[d], "Idempotency-Key": f"{doc['device_id']}-{doc['date']}-{n}"}
                t0 = time.perf_counter()
                r = http.post("/v1/metrics", json=doc, headers=hdrs)
                took = time.perf_counter() - t0
                if r.status_code != 202:
                    raise SystemExit(f"upload refused: {r.status_code} {r.text[:200]}")
                with lock:
                    latencies.append(took)

    parts = [work[i::threads] for i in range(threads)]
    ts = [threading.Thread(target=run, args=(p,)) for p in parts]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if len(latencies) != len(work):
        raise SystemExit(f"only {len(latencies)} of {len(work)} uploads answered")
    return latencies


def check(report: dict[str, Any], want: dict[str, dict[str, Any]]) -> None:
    rows = {r["period"]: r for r in report["daily"]}
    assert sorted(rows) == sorted(want), "days differ"
    for day, w in want.items():
        r = rows[day]
        assert {d["device"] for d in r["devices"]} == w["devices"], f"{day}: devices differ"
        assert abs(r["totalCost"] - w["cost"]) <= 1e-6 * max(1.0, w["cost"]), f"{day}: cost differs"
        got = {m["modelName"]: m for m in r["modelBreakdowns"]}
        for model, tokens in w["tokens"].items():
            total = sum(got[model][f] for f in ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens"))
            assert total == tokens, f"{day} {model}: tokens differ"


def run_store(name: str, db: str, tmp: Path, keys_file: Path, key: Any, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(18)
    work, want = summaries(args.devices, args.days, rng)
    rng.shuffle(work)
    licenses = [
        b64encode(
            json.dumps(
                sign_envelope("license", build_license(KID, "pro", ["telemetry_minimized"], 30,
                                                       license_id=f"lic-{d}", org="bench"), key)
            ).encode()
        ).decode()
        for d in range(args.devices)
    ]
    extra = {"CCP_AGGREGATOR_DB": db, "CCP_AGGREGATOR_OPERATOR_TOKEN": TOKEN}
    proc, url = start_server(tmp / name, keys_file, extra)
    try:
        t0 = time.perf_counter()
        lat = ingest(url, work, licenses, args.threads, time.monotonic() + args.max_seconds)
        ingest_s = time.perf_counter() - t0
        query: list[float] = []
        with httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            for _ in range(args.queries):
                q0 = time.perf_counter()
                r = http.get("/v1/team/daily")
                query.append(time.perf_counter() - q0)
                assert r.status_code == 200, r.text[:200]
            check(r.json(), want)
            size = len(r.content)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lat.sort()
    return {
        "store": name,
        "summaries": len(work),
        "ingest_s": round(ingest_s, 2),
        "per_s": round(len(work) / ingest_s, 1),
        "upload_p50_ms": round(statistics.median(lat) * 1000, 1),
        "upload_p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000, 1),
        "team_daily_median_ms": round(statistics.median(query) * 1000, 1),
        "team_daily_max_ms": round(max(query) * 1000, 1),
        "answer_bytes": size,
        "load_avg_1min": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devices", type=int, default=50)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--queries", type=int, default=5)
    ap.add_argument("--max-seconds", type=float, default=600)
    ap.add_argument("--stores", default="sqlite,postgres")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ccp-team-load-"))
    key_path, keys_file = keygen(KID, tmp / "operator")
    key = load_private_key(key_path)
    results = []
    for store in args.stores.split(","):
        if store == "sqlite":
            results.append(run_store("sqlite", str(tmp / "team.sqlite"), tmp, keys_file, key, args))
        elif store == "postgres":
            from tests.pg_server import PgServer

            pg = PgServer.start()
            try:
                results.append(run_store("postgres", pg.create_database("team"), tmp, keys_file, key, args))
            finally:
                pg.stop()
        else:
            raise SystemExit(f"unknown store {store!r} (sqlite, postgres)")
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
