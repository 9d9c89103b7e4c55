"""Benchmark harness (a script, not a timed test): cold build, one new day, daily report, floors.

    .venv/bin/python bench/run.py --copies 25                 # ~95 MB replicated from the fixtures
    .venv/bin/python bench/run.py --demo-scale 100            # ~400 MB of `ccp demo-data` (every source)
    .venv/bin/python bench/run.py --demo-scale 1000 --days 30 # ~4 GB

Reports wall time, CPU time (user+sys of the child) and peak RSS of each command, side by side with a
bare DuckDB scan doing the same dedup and grouping (the floor) and `ccusage daily --json --offline`
when a `ccusage` executable is on PATH (npm i -g ccusage@20.0.24).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from replicate import replicate  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "claude-code"
CCP = REPO / ".venv" / "bin" / "ccp"
PY = REPO / ".venv" / "bin" / "python"

FLOOR_SQL = """
WITH l AS (SELECT * FROM read_json_auto('{glob}', format='newline_delimited', ignore_errors=true,
                                        union_by_name=true, maximum_object_size=67108864)
           WHERE type = 'assistant'),
r AS (SELECT CAST(timestamp AS DATE) AS d, message.model AS model, message.id AS mid, requestId AS rid,
             message.usage.input_tokens AS i, message.usage.output_tokens AS o,
             message.usage.cache_creation_input_tokens AS cw, message.usage.cache_read_input_tokens AS cr
      FROM l),
k AS (SELECT *, row_number() OVER (PARTITION BY mid, rid ORDER BY i + o + cw + cr DESC) AS rn FROM r)
SELECT d, model, sum(i), sum(o), sum(cw), sum(cr) FROM k WHERE rn = 1 GROUP BY ALL
"""


def measure(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall, CPU and peak RSS of one child process (each child waited on alone)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as errf:
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=errf)
        _, status, usage = os.wait4(p.pid, 0)  # this child's own rusage (peak RSS included)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            errf.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{errf.read()[-3000:].decode(errors='replace')}")
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=25, help="replicas of the fixture transcripts (~3.7 MB each)")
    ap.add_argument("--demo-scale", type=int, default=0, help="use `ccp demo-data --scale K` instead of fixture copies")
    ap.add_argument("--days", type=int, default=7, help="days of demo data")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    ap.add_argument("--out", type=Path, default=None, help="write the JSON results here")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ccp-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    if args.demo_scale:
        demo = tmp / "demo"
        subprocess.run([str(CCP), "demo-data", "--out", str(demo), "--days", str(args.days),
                        "--scale", str(args.demo_scale)], check=True, stdout=subprocess.DEVNULL)
        claude = demo / "claude"
        corpus = sum(p.stat().st_size for p in claude.rglob("*.jsonl"))
        env.update({"CCP_USAGE_LOG_DIR": str(demo / "ccp"), "CCP_AGENTOS_DATA_DIR": str(demo / "agentos"),
                    "CCP_REPO_DIR": str(demo / "repo")})
    else:
        claude = tmp / "claude"
        corpus = replicate(FIXTURE, claude, args.copies)
    (tmp / "dagster_home").mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", tmp / "dagster_home" / "dagster.yaml")
    env.update({"CCP_HOME": str(tmp / "home"), "DAGSTER_HOME": str(tmp / "dagster_home"),
                "CLAUDE_CONFIG_DIR": str(claude), "CCP_TIMEZONE": "UTC", "CCP_START_DATE": "2025-01-01"})
    res: dict[str, object] = {"corpus_mb": round(corpus / 1e6, 1),
                              "corpus": f"demo-data --scale {args.demo_scale} --days {args.days}" if args.demo_scale
                              else f"{args.copies} fixture copies",
                              "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}"}
    res["cold_materialize"] = measure([str(CCP), "materialize"], env)
    res["warm_materialize_nothing_new"] = measure([str(CCP), "materialize"], env)
    # one new day: a fresh copy of one session shifted past the last day
    new_day = claude / "projects" / "new-day"
    new_day.mkdir(parents=True, exist_ok=True)
    for f in (FIXTURE / "projects").rglob("tool_heavy.jsonl"):  # one real session, moved to a day of its own
        text = f.read_text().replace('"timestamp":"2026-02-10', '"timestamp":"2026-11-01').replace("msg_", "msg_new_")
        (new_day / "new.jsonl").write_text(text)
    res["one_new_day"] = measure([str(CCP), "materialize"], env)
    res["report_daily_json"] = measure([str(CCP), "report", "daily", "--json"], env)
    glob = str(claude / "projects" / "**" / "*.jsonl")
    res["duckdb_floor_scan"] = measure([str(PY), "-c", f"import duckdb; duckdb.sql({FLOOR_SQL.format(glob=glob)!r}).fetchall()"], env)
    if shutil.which("ccusage"):
        res["ccusage_daily"] = measure(["ccusage", "daily", "--json", "--offline", "--timezone", "UTC"], env)
    cold = res["cold_materialize"]["wall_s"]  # type: ignore[index]
    res["ratios"] = {"cold_vs_floor": round(cold / res["duckdb_floor_scan"]["wall_s"], 2),  # type: ignore[index]
                     "new_day_vs_cold": round(res["one_new_day"]["wall_s"] / cold, 3)}  # type: ignore[index]
    if "ccusage_daily" in res:
        cc = res["ccusage_daily"]["wall_s"]  # type: ignore[index]
        res["ratios"].update({"cold_vs_ccusage": round(cold / cc, 2),  # type: ignore[union-attr]
                              "report_vs_ccusage": round(res["report_daily_json"]["wall_s"] / cc, 2)})  # type: ignore[index]
    text = json.dumps(res, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}", file=sys.stderr)


if __name__ == "__main__":
    main()
