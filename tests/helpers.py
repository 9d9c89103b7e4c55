"""Small helpers for tests that drive the real graph."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from ccp_assets import runs
from ccp_assets.reports.daily import daily_report
from ccp_assets.settings import load_settings
from ccp_assets.warehouse.readonly import open_read_only

REPO = Path(__file__).resolve().parents[1]
CCP = REPO / ".venv" / "bin" / "ccp"


def materialize_all(start: str | None = None, end: str | None = None) -> runs.RunOutcome | None:
    """What `ccp materialize` does, in-process: land, then one Dagster run over the days with data."""
    settings = load_settings()
    runs.ensure_dagster_home(settings)
    landed = runs.land_all(settings)
    from datetime import date

    days = landed["days"] if (start or end) else runs.days_to_run(landed)
    rng = runs.clamp_range(days, date.fromisoformat(start) if start else None,
                           date.fromisoformat(end) if end else None, settings)
    return None if rng is None else runs.materialize(*rng)


def report(timezone: str = "UTC") -> dict[str, Any]:
    settings = load_settings()
    conn = open_read_only(settings.warehouse_path)
    try:
        return daily_report(conn, timezone)
    finally:
        if conn is not None:
            conn.close()


def query(sql: str, params: list | None = None) -> list[tuple]:
    conn = open_read_only(load_settings().warehouse_path)
    assert conn is not None
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def ccp(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([str(CCP), *args], env=env, capture_output=True, text=True, timeout=600, cwd=env["HOME"])
    if check and r.returncode != 0:
        raise AssertionError(f"ccp {' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r


def token_rows(rep: dict[str, Any]) -> dict[tuple[str, str], dict[str, int]]:
    keys = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
    return {(d["period"], m["modelName"]): {k: m[k] for k in keys} for d in rep["daily"] for m in d["modelBreakdowns"]}


def costs(rep: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {(d["period"], m["modelName"]): m["cost"] for d in rep["daily"] for m in d["modelBreakdowns"]}


def dumps(x: Any) -> str:
    return json.dumps(x, sort_keys=True, default=str)
