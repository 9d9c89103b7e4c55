"""`ccp report blocks`: ccusage's 5-hour billing blocks, from the warehouse.

ccusage's rule: a block starts at the UTC hour of its first entry and takes every later entry up to five
hours after that start; the first entry past it starts the next block. (Its second rule, a silence of more
than five hours since the last entry, is implied by the first, since the last entry is never before the
start.) A silence longer than five hours also yields a gap block from last entry + 5 h to the next entry.

Only the block boundaries are found in Python, over the sorted distinct timestamps (one list of integers,
~0.1 s per million turns); the sums are one DuckDB range join of the turns onto those boundaries.

Every row has ccusage 20.0.24's block keys (`id`, `startTime`, `endTime`, `actualEndTime`, `isActive`,
`isGap`, `entries`, `tokenCounts`, `totalTokens`, `costUSD`, `models`, `burnRate`, `projection`) plus the
common report keys (`period`, `agent`, `metadata`, the four token kinds, `totalCost`, `modelsUsed`,
`modelBreakdowns`), so scripts written for either shape work.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from ccp_assets.reports.usage import (
    TOKEN_KEYS,
    Query,
    agent_metadata,
    empty_totals,
    grouped,
    has_usage_tables,
)

BLOCK_MS = 5 * 3600 * 1000
HOUR_MS = 3600 * 1000


def block_bounds(stamps: list[int], length_ms: int = BLOCK_MS) -> list[tuple[int, int, int]]:
    """Sorted epoch-ms timestamps -> [(block start, first entry, last entry)] by ccusage's rule."""
    blocks: list[list[int]] = []
    for t in stamps:
        if blocks and t - blocks[-1][0] <= length_ms:
            blocks[-1][2] = t
        else:
            blocks.append([t - t % HOUR_MS, t, t])
    return [(s, f, la) for s, f, la in blocks]


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def blocks_report(conn: duckdb.DuckDBPyConnection | None, q: Query, order: str = "asc",
                  now: datetime | None = None, agent: str = "claude") -> dict[str, Any]:
    """{"blocks": [rows], "totals": {...}}; `--since/--until` select blocks by their local start day."""
    if not has_usage_tables(conn):
        return {"blocks": [], "totals": empty_totals()}
    assert conn is not None
    base = replace(q, since=None, until=None).base()
    stamps = conn.execute(f"SELECT list(t ORDER BY t) FROM (SELECT DISTINCT epoch_ms(ts) AS t FROM {base})"
                          ).fetchone()[0] or []
    bounds = block_bounds(stamps)
    if not bounds:
        return {"blocks": [], "totals": empty_totals()}
    starts, firsts, lasts = ([b[i] for b in bounds] for i in range(3))
    rows = conn.execute(f"""
        WITH b AS (SELECT unnest({starts}) AS s, unnest({firsts}) AS f, unnest({lasts}) AS l),
             j AS (SELECT b.s, t.* FROM {base} t JOIN b ON epoch_ms(t.ts) BETWEEN b.f AND b.l)
        SELECT s, model, sum(i), sum(o), sum(cw), sum(cr), sum(usd), count(*), min(ts), list(DISTINCT source)
        FROM j GROUP BY 1, 2 ORDER BY 1, 7 DESC, 2""").fetchall()
    per_block, _ = grouped([r[:7] for r in rows], agent)
    detail: dict[int, dict[str, Any]] = {}
    for s, model, *_, n, first_ts, sources in rows:
        d = detail.setdefault(s, {"entries": 0, "models": [], "sources": set()})
        d["entries"] += n
        d["models"].append((first_ts, model))
        d["sources"].update(sources)
    now_ms = int((now or datetime.now(UTC)).timestamp() * 1000)
    zone = ZoneInfo(q.timezone)
    out: list[dict[str, Any]] = []
    for k, ((start, _first, last), row) in enumerate(zip(bounds, per_block, strict=True)):
        if k and firsts[k] - lasts[k - 1] > BLOCK_MS:
            out.append(_gap(lasts[k - 1] + BLOCK_MS, firsts[k], agent))
        d = detail[start]
        out.append(_block(start, last, row, d, now_ms, agent))
    day = {r["id"]: datetime.fromtimestamp(_ms(r["startTime"]) / 1000, zone).date() for r in out}
    out = [r for r in out if (not q.since or day[r["id"]] >= q.since) and (not q.until or day[r["id"]] <= q.until)]
    if order == "desc":
        out.reverse()
    totals = empty_totals()
    for r in out:
        for k in (*TOKEN_KEYS, "totalTokens", "totalCost"):
            totals[k] += r[k]
    return {"blocks": out, "totals": totals}


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def _block(start: int, last: int, row: dict[str, Any], d: dict[str, Any], now_ms: int, agent: str) -> dict[str, Any]:
    end = start + BLOCK_MS
    active = now_ms - last < BLOCK_MS and now_ms < end
    block = {"id": _iso(start), "startTime": _iso(start), "endTime": _iso(end), "actualEndTime": _iso(last),
             "isActive": active, "isGap": False, "entries": d["entries"],
             "tokenCounts": {"inputTokens": row["inputTokens"], "outputTokens": row["outputTokens"],
                             "cacheCreationInputTokens": row["cacheCreationTokens"],
                             "cacheReadInputTokens": row["cacheReadTokens"]},
             "costUSD": row["totalCost"], "models": [m for _, m in sorted(d["models"])],
             "burnRate": None, "projection": None}
    if active:
        block["burnRate"], block["projection"] = _burn(row, start, last, now_ms, d)
    return {**row, **block, "period": block["id"], "metadata": agent_metadata(sorted(d["sources"]))}


def _burn(row: dict[str, Any], start: int, last: int, now_ms: int,
          d: dict[str, Any]) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    """ccusage's burn rate (first to last entry) and its projection to the block's end; None if instant."""
    first = min(ts for ts, _ in d["models"])
    minutes = (last - int(first.timestamp() * 1000)) / 60000
    if minutes <= 0:
        return None, None
    io = row["inputTokens"] + row["outputTokens"]
    rate = {"tokensPerMinute": row["totalTokens"] / minutes, "tokensPerMinuteForIndicator": io / minutes,
            "costPerHour": row["totalCost"] / minutes * 60}
    remaining = max(0.0, (start + BLOCK_MS - now_ms) / 60000)
    projection = {"totalTokens": round(row["totalTokens"] + rate["tokensPerMinute"] * remaining),
                  "totalCost": round(row["totalCost"] + rate["costPerHour"] / 60 * remaining, 2),
                  "remainingMinutes": round(remaining)}
    return rate, projection


def _gap(start: int, end: int, agent: str) -> dict[str, Any]:
    zero = dict.fromkeys(TOKEN_KEYS, 0)
    gid = f"gap-{_iso(start)}"
    return {"period": gid, "agent": agent, "metadata": {"agents": []}, **zero, "totalTokens": 0, "totalCost": 0.0,
            "modelsUsed": [], "modelBreakdowns": [], "id": gid, "startTime": _iso(start), "endTime": _iso(end),
            "actualEndTime": None, "isActive": False, "isGap": True, "entries": 0,
            "tokenCounts": {"inputTokens": 0, "outputTokens": 0, "cacheCreationInputTokens": 0,
                            "cacheReadInputTokens": 0},
            "costUSD": 0.0, "models": [], "burnRate": None, "projection": None}
