"""Small hand-made inputs for the source tests (the real AgentOS fixtures are copied, never written)."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

DECISION_KINDS = ("pass", "quota", "manual", "fallback", "429", "5xx", "timeout", "net", "preemptive")


def epoch(day: date, hour: int, minute: int = 0, second: float = 0.0) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC).timestamp() + second


def proxy_day(day: date, n: int = 60, seed: int = 3) -> list[dict]:
    """Proxy events of one day in time order: every decision kind and error class, as SOURCES.md lists them."""
    rng = random.Random(seed)
    out: list[dict] = []
    t = epoch(day, 9)
    for i in range(n):
        kind = DECISION_KINDS[i % len(DECISION_KINDS)]
        rid = f"r{day:%m%d}-{i:04d}"
        model = rng.choice(["claude-sonnet-4-5-20250929", "claude-opus-4-6", "claude-haiku-4-5-20251001"])
        glm = "glm-4.5-air" if "haiku" in model else "glm-4.6"
        t += rng.uniform(20, 200)

        def decision(ts: float, lane: str, m: str, dec: str, reason: str | None, mode: str, verdict: str,
                     cooldown: bool = False) -> None:
            ev = {"ts": round(ts, 6), "rid": rid, "lane": lane, "model": m, "status": -1, "event": "decision",
                  "decision": dec, "upstream": "anth" if lane == "anthropic" else "zai", "reroute_mode": mode,
                  "reroute_decision": verdict, "preferred_attempt": 0, "cooldown_active": cooldown,
                  "headroom_pct_rolling": round(rng.uniform(0, 100), 2), "headroom_pct_weekly": 55.5,
                  "warn_pct_cfg": 80, "warn_pct_auto": 0.7, "gap_samples": 12, "h2": True}
            if reason:
                ev["decision_reason"] = reason
            if cooldown:
                ev["cooldown_next_ts"] = round(ts + 300, 3)
            out.append(ev)

        def error(ts: float, lane: str, m: str, err: str) -> float:
            wasted = rng.randint(50, 3000)
            out.append({"ts": round(ts, 6), "rid": rid, "lane": lane, "model": m,
                        "status": {"429": 429, "5xx": 529}.get(err, 0), "event": "error", "err_type": err,
                        "retry": True, "backoff_ms": 500, "wasted_retry_ms": wasted,
                        "upstream": "anth" if lane == "anthropic" else "zai"})
            return ts + (wasted + 500) / 1000

        def complete(ts: float, lane: str, m: str) -> None:
            stream = rng.random() < 0.6
            inp, outp = rng.randint(800, 60_000), rng.randint(10, 4000)
            ttft = rng.randint(200, 2000)
            lat = ttft + rng.randint(100, 20_000)
            ev = {"ts": round(ts + lat / 1000, 6), "rid": rid, "lane": lane, "model": m, "input_tokens": inp,
                  "output_tokens": outp, "status": 200, "reason": "ok", "op": "stream" if stream else "nonstream",
                  "latency_ms": lat, "upstream": "anth" if lane == "anthropic" else "zai", "h2": True,
                  "rolling_used_tokens": 1000 * i, "rolling_capacity_tokens": 12_000_000}
            if stream:
                ev["ttft_ms"], ev["stream_ms"] = ttft, lat - ttft
            out.append(ev)

        if kind == "pass":
            decision(t, "anthropic", model, "pass_through", None, "hybrid", "stay")
            complete(t + 0.002, "anthropic", model)
        elif kind in ("quota", "manual", "preemptive"):
            reason = {"quota": "quota_block", "manual": "manual_override", "preemptive": "quota_block"}[kind]
            decision(t, "zai", glm, "forced_model", reason, "preemptive" if kind == "preemptive" else "run2cap",
                     "reroute_zai")
            complete(t + 0.002, "zai", glm)
        elif kind == "fallback":
            t2 = error(t, "anthropic", model, "5xx")
            decision(t2, "zai", glm, "failover_paused", "fallback", "hybrid", "failover", cooldown=True)
            complete(t2 + 0.002, "zai", glm)
        else:
            decision(t, "anthropic", model, "pass_through", None, "hybrid", "stay")
            t2 = error(t + 0.5, "anthropic", model, kind)
            complete(t2, "anthropic", model)
    out.sort(key=lambda e: e["ts"])
    return out


def write_jsonl(path: Path, objs: list[dict], glue_every: int = 0, stray_at: int | None = None,
                tail: str = "") -> Path:
    """JSONL with optional warts: every `glue_every`-th pair glued on one line, a stray `{}`, a partial tail."""
    lines: list[str] = []
    i = 0
    while i < len(objs):
        if i == stray_at:
            lines.append("{}")
        if glue_every and i % glue_every == glue_every - 1 and i + 1 < len(objs):
            lines.append(json.dumps(objs[i]) + json.dumps(objs[i + 1]) + "{}")
            i += 2
            continue
        lines.append(json.dumps(objs[i]))
        i += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n" + tail)
    return path


def read_objects(path: Path) -> list[dict]:
    """Every complete JSON object in a JSONL file, glued ones split, with plain `json` (the test's oracle)."""
    dec = json.JSONDecoder()
    objs = []
    text = path.read_text()
    complete = text if text.endswith("\n") else text[: text.rfind("\n") + 1]
    for line in complete.splitlines():
        i = 0
        while i < len(line):
            while i < len(line) and line[i] in " \t\r":
                i += 1
            if i >= len(line):
                break
            obj, i = dec.raw_decode(line, i)
            if obj:
                objs.append(obj)
    return objs


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def day_after(d: date) -> date:
    return d + timedelta(days=1)
