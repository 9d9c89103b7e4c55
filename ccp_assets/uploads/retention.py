"""Retention of the local landing zone: landed days older than the policy's `retention_days` are deleted.

In force only when a verified, unexpired policy pack is cached AND the license carries `policy_packs`
(a plan without policy packs keeps everything); without a policy nothing is ever deleted. A day D is
deleted when D < today (CCP_TIMEZONE) - retention_days. Every deletion is logged: one JSON line per run in
`$CCP_HOME/state/retention.log.jsonl` (files, rows and bytes per source and day) and in the asset's
metadata. Only the Parquet landing zone is touched; the warehouse keeps its derived rows.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ccp_assets.licensing import current_license, load_policy
from ccp_assets.settings import Settings

LOG_FILE = "retention.log.jsonl"
_DAY_DIR = re.compile(r"^day=(\d{4}-\d{2}-\d{2})$")


@dataclass
class RetentionResult:
    applied: bool
    reason: str
    retention_days: int | None = None
    cutoff: str | None = None
    files: int = 0
    rows: int = 0
    bytes: int = 0
    deleted: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # source -> day -> counts
    log_path: str | None = None


def retention_days(settings: Settings, now: float) -> tuple[int | None, str]:
    """(days to keep, why) or (None, why everything is kept)."""
    policy, why = load_policy(settings, now)
    if policy is None:
        return None, f"keep everything: {why}"
    lic, lic_why = current_license(settings, now)
    if lic is None or not lic.has("policy_packs"):
        return None, ("keep everything: the policy pack is not in force (the license has no policy_packs "
                      f"entitlement{'' if lic else ': ' + lic_why})")
    if policy.retention_days <= 0:
        return None, f"keep everything: policy v{policy.version} sets no retention (retention_days={policy.retention_days})"
    return policy.retention_days, f"policy v{policy.version} (kid {policy.kid}): retention_days={policy.retention_days}"


def local_today(settings: Settings, now: float) -> date:
    return datetime.fromtimestamp(now, ZoneInfo(settings.timezone)).date()


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except Exception:  # an unreadable file is still deleted; its rows are unknown
        return 0


def apply_retention(settings: Settings, now: float) -> RetentionResult:
    """Delete landed days older than the policy allows (see the module docstring)."""
    days, why = retention_days(settings, now)
    if days is None:
        return RetentionResult(False, why)
    cutoff = local_today(settings, now) - timedelta(days=days)
    result = RetentionResult(True, why, days, cutoff.isoformat())
    root = settings.landing_dir
    for source_dir in sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []:
        for day_dir in sorted(source_dir.iterdir()):
            m = _DAY_DIR.match(day_dir.name)
            if not m or not day_dir.is_dir() or date.fromisoformat(m.group(1)) >= cutoff:
                continue
            counts = {"files": 0, "rows": 0, "bytes": 0}
            for f in sorted(day_dir.glob("*.parquet")):
                counts["rows"] += _parquet_rows(f)
                counts["bytes"] += f.stat().st_size
                f.unlink()
                counts["files"] += 1
            with contextlib.suppress(OSError):  # something else lives there: keep the folder, the data is gone
                day_dir.rmdir()
            if counts["files"]:
                result.deleted.setdefault(source_dir.name, {})[m.group(1)] = counts
                result.files += counts["files"]
                result.rows += counts["rows"]
                result.bytes += counts["bytes"]
    result.log_path = str(_log(settings, now, result))
    return result


def _log(settings: Settings, now: float, result: RetentionResult) -> Path:
    path = settings.state_dir / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    entry: dict[str, Any] = {"at": datetime.fromtimestamp(now, UTC).isoformat(), "reason": result.reason,
                             "retention_days": result.retention_days, "cutoff": result.cutoff,
                             "files": result.files, "rows": result.rows, "bytes": result.bytes,
                             "deleted": result.deleted}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, sort_keys=True) + "\n")
    return path
