"""CCP routing-proxy usage log (SOURCES.md section 2) and its `results/METRICS-<date>.json` summaries.

No real proxy log is public, so this is the reference shape: one line per decision, completion or
error, including the warts parsers must survive (glued `{...}{...}` lines, a stray `{}`, old ISO-`ts`
lines with status "ok").
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ccp_assets.demo.ids import day_start_ms, rng_for, unique_hex
from ccp_assets.demo.sink import Sink

ANTH_MODELS = ["claude-sonnet-4-5-20250929"] * 5 + ["claude-opus-4-6"] * 3 + ["claude-haiku-4-5-20251001"] * 2
GLM_FOR = {"claude-haiku-4-5-20251001": "glm-4.5-air"}
ERR_STATUS = {"429": 429, "5xx": 529, "net": 0, "timeout": 0}
ROLLING_CAP, WEEKLY_CAP = 2_000_000, 60_000_000
FORCED_KINDS = ["pass", "quota", "fallback", "manual", "429", "5xx", "timeout", "net"]
"""The first requests of every day cover every decision and error kind, whatever the scale."""
_dumps = json.JSONEncoder(separators=(",", ":")).encode


@dataclass
class ProxyDay:
    """Per-day facts other ledgers reuse (GLM prompts, telemetry sample, METRICS backfill)."""

    day: dt.date
    requests: int = 0
    completions: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    decisions: Counter = field(default_factory=Counter)
    tokens: dict[str, list[int]] = field(default_factory=dict)
    latencies: dict[str, list[int]] = field(default_factory=dict)
    sample: list[str] = field(default_factory=list)


def _pct(values: list[int], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return round(s[lo] + (s[hi] - s[lo]) * (k - lo), 1)


class _Day:
    def __init__(self, rng: random.Random, day: dt.date, day_idx: int, weekly_used: int) -> None:
        self.rng = rng
        self.stats = ProxyDay(day)
        self.events: list[tuple[float, dict]] = []
        self.day_idx = day_idx
        self.rolling = 0
        self.weekly = weekly_used

    def _headroom(self) -> dict:
        rng = self.rng
        return {"rolling_used_tokens": self.rolling, "rolling_capacity_tokens": ROLLING_CAP,
                "weekly_used_tokens": self.weekly, "weekly_capacity_tokens": WEEKLY_CAP,
                "headroom_pct_rolling": round(max(0.0, 100 * (1 - self.rolling / ROLLING_CAP)), 2),
                "headroom_pct_weekly": round(max(0.0, 100 * (1 - self.weekly / WEEKLY_CAP)), 2),
                "warn_pct_cfg": 80, "warn_pct_auto": round(rng.uniform(0.6, 0.85), 3),
                "warn_pct_confidence": round(rng.uniform(0.2, 0.9), 2), "gap_seconds_p50": rng.randint(8, 30),
                "gap_seconds_p95": rng.randint(40, 120), "gap_samples": rng.randint(5, 60)}

    def _decision(self, ts: float, rid: str, lane: str, model: str, decision: str, reason: str | None,
                  mode: str, verdict: str, cooldown: bool) -> None:
        d = {"ts": round(ts, 6), "rid": rid, "lane": lane, "model": model, "status": -1, "event": "decision",
             "decision": decision, "upstream": "anth" if lane == "anthropic" else "zai", "h2": True,
             "header_mode": None if lane == "anthropic" else "x-api-key", "paused": decision == "failover_paused",
             "reroute_mode": mode, "reroute_decision": verdict, "preferred_attempt": 0, "cooldown_active": cooldown}
        if reason:
            d["decision_reason"] = reason
        if cooldown:
            d["cooldown_next_ts"] = round(ts + self.rng.randint(60, 900), 3)
        d.update(self._headroom())
        self.events.append((ts, d))
        self.stats.decisions[decision] += 1

    def _error(self, ts: float, rid: str, lane: str, model: str, err: str, attempt: int) -> float:
        backoff = self.rng.choice([250, 500, 1000, 2000, 4000])
        wasted = self.rng.randint(200, 30_000) if err == "timeout" else self.rng.randint(40, 3000)
        self.events.append((ts, {"ts": round(ts, 6), "rid": rid, "lane": lane, "model": model,
                                 "status": ERR_STATUS[err], "event": "error", "err_type": err, "retry": True,
                                 "backoff_ms": backoff, "wasted_retry_ms": wasted, "preferred_attempt": attempt,
                                 "upstream": "anth" if lane == "anthropic" else "zai", "h2": True}))
        self.stats.errors[(lane, err)] += 1
        return ts + (wasted + backoff) / 1000

    def _complete(self, ts: float, rid: str, lane: str, model: str, attempt: int) -> None:
        rng = self.rng
        stream = rng.random() < 0.7
        inp = rng.randint(800, 60_000)
        out = min(8000, int(rng.lognormvariate(5.6, 0.9)))
        ttft = rng.randint(250, 2500) if lane == "anthropic" else rng.randint(400, 3500)
        stream_ms = out * 1000 // rng.randint(40, 120) if stream else 0
        latency = ttft + stream_ms if stream else ttft + out * 1000 // rng.randint(60, 150)
        counted = not (stream and rng.random() < 0.15)
        d = {"ts": round(ts + latency / 1000, 6), "rid": rid, "lane": lane, "model": model,
             "input_tokens": inp if counted else 0, "output_tokens": out if counted else 0, "status": 200,
             "reason": "ok" if counted else "streaming", "op": "stream" if stream else "nonstream",
             "latency_ms": latency, "err_type": None, "retry": attempt > 0, "backoff_ms": 0,
             "upstream": "anth" if lane == "anthropic" else "zai", "h2": True,
             "header_mode": None if lane == "anthropic" else "x-api-key"}
        if stream:
            d["ttft_ms"], d["stream_ms"] = ttft, stream_ms
        if attempt:
            d["preferred_attempt"] = attempt
        d.update(self._headroom())
        self.events.append((d["ts"], d))
        self.rolling = (self.rolling + inp + out) % ROLLING_CAP
        self.weekly += inp + out
        st = self.stats
        st.completions[lane] += 1
        tok = st.tokens.setdefault(model, [0, 0, 0])
        tok[0] += d["input_tokens"]
        tok[1] += d["output_tokens"]
        tok[2] += 1
        st.latencies.setdefault(lane, []).append(latency)

    def request(self, n: int, ts: float) -> None:
        rng = self.rng
        rid = unique_hex(self.day_idx << 20 | n, 32)
        kind = FORCED_KINDS[n] if n < len(FORCED_KINDS) else rng.choices(
            FORCED_KINDS, [70, 14, 4, 2, 4, 2, 2, 2])[0]
        model = rng.choice(ANTH_MODELS)
        glm = GLM_FOR.get(model, "glm-4.6")
        self.stats.requests += 1
        if kind == "pass":
            self._decision(ts, rid, "anthropic", model, "pass_through", None, "hybrid", "stay", False)
            self._complete(ts + 0.002, rid, "anthropic", model, 0)
        elif kind in ("quota", "manual"):
            reason = "quota_block" if kind == "quota" else "manual_override"
            self._decision(ts, rid, "zai", glm, "forced_model", reason, rng.choice(["run2cap", "preemptive"]),
                           "reroute_zai", False)
            self._complete(ts + 0.002, rid, "zai", glm, 0)
        elif kind == "fallback":
            t = self._error(ts, rid, "anthropic", model, rng.choice(["5xx", "429"]), 0)
            self._decision(t, rid, "zai", glm, "failover_paused", "fallback", "hybrid", "failover", True)
            self._complete(t + 0.002, rid, "zai", glm, 1)
        else:
            self._decision(ts, rid, "anthropic", model, "pass_through", None, "hybrid", "stay", False)
            t = self._error(ts + 0.5, rid, "anthropic", model, kind, 0)
            self._complete(t, rid, "anthropic", model, 1)


def generate_proxy_day(seed: int, day: dt.date, day_idx: int, spans: list[tuple[int, int]], n: int,
                       weekly_used: int = 0) -> tuple[list[str], ProxyDay]:
    """Lines of one day in time order, plus its stats. `spans` are the day's Claude session spans."""
    rng = rng_for(seed, "proxy", day.isoformat())
    gen = _Day(rng, day, day_idx, weekly_used)
    base = day_start_ms(day)
    if not spans:
        spans = [(base + 9 * 3_600_000, base + 18 * 3_600_000)]
    times = sorted(rng.uniform(*rng.choice(spans)) / 1000 for _ in range(n))
    for i, ts in enumerate(times):
        gen.request(i, ts)
    gen.events.sort(key=lambda e: e[0])
    lines = [_dumps(d) for _, d in gen.events]
    gen.stats.sample = lines[:12]
    return lines, gen.stats


def _warts(rng: random.Random, lines: list[str], old_style: bool, day: dt.date) -> list[str]:
    """Glue a few lines together and drop in a stray `{}`, as the real proxy has written them."""
    out: list[str] = []
    if old_style:
        for k, (lane, model) in enumerate([("baseline", "anthropic/haiku"), ("glm", "glm-4.6")]):
            out.append(_dumps({"ts": f"{day.isoformat()}T06:5{k}:00Z", "rid": f"R{k + 1}", "lane": lane, "model": model,
                               "status": "ok", "input_tokens": 1200 - 200 * k, "output_tokens": 300 + 200 * k,
                               "reason": "ok" if k == 0 else "routed", "latency_ms": 420 - 40 * k}))
    stray = rng.randrange(len(lines)) if lines else -1
    i = 0
    while i < len(lines):
        if i == stray:
            out.append("{}")
        if i + 1 < len(lines) and (i % 97 == 41):
            out.append(lines[i] + lines[i + 1])
            i += 2
            continue
        out.append(lines[i])
        i += 1
    return out


def requests_per_day(seed: int, day: dt.date, scale: int) -> int:
    return rng_for(seed, "proxy-n", day.isoformat()).randint(180, 320) * scale


def write_usage_log(sink: Sink, root: Path, seed: int, day: dt.date, day_idx: int, is_last: bool, first: bool,
                    spans: list[tuple[int, int]], scale: int, weekly_used: int) -> ProxyDay:
    """Past days go to rotated usage-YYYYMMDD.jsonl files, the last (current) day to usage.jsonl."""
    lines, stats = generate_proxy_day(seed, day, day_idx, spans, requests_per_day(seed, day, scale), weekly_used)
    lines = _warts(rng_for(seed, "warts", day.isoformat()), lines, first, day)
    name = "usage.jsonl" if is_last else f"usage-{day.strftime('%Y%m%d')}.jsonl"
    sink.write_lines("ccp", root / name, lines)
    return stats


def metrics_summary(stats: ProxyDay) -> dict:
    """The proxy's own daily summary (results/METRICS-<date>.json): a backfill input."""
    by_lane = {}
    for lane in ("anthropic", "zai"):
        lat = stats.latencies.get(lane, [])
        errs = sum(v for (ln, _), v in stats.errors.items() if ln == lane)
        models = [m for m in stats.tokens if (m.startswith("glm") == (lane == "zai"))]
        by_lane[lane] = {"count": stats.completions[lane], "errors": errs,
                         "input_tokens": sum(stats.tokens[m][0] for m in models),
                         "output_tokens": sum(stats.tokens[m][1] for m in models),
                         "p50_ms": _pct(lat, 0.5), "p95_ms": _pct(lat, 0.95)}
    return {"schema": "ccp.metrics.v1", "date": stats.day.isoformat(),
            "generated_at": f"{(stats.day + dt.timedelta(days=1)).isoformat()}T00:05:00Z",
            "total_requests": stats.requests, "byLane": by_lane, "decisions": dict(sorted(stats.decisions.items())),
            "errors_by_type": dict(sorted(Counter({e: v for (_, e), v in stats.errors.items()}).items())),
            "byModel": {m: {"input_tokens": v[0], "output_tokens": v[1], "requests": v[2]}
                        for m, v in sorted(stats.tokens.items())}}


def write_results(sink: Sink, root: Path, seed: int, days: list[dt.date], scale: int) -> None:
    """METRICS files for days that have no raw log any more (before the log's first day)."""
    for k, day in enumerate(days):
        _, stats = generate_proxy_day(seed, day, 4000 + k, [], requests_per_day(seed, day, scale))
        data = json.dumps(metrics_summary(stats), indent=2, sort_keys=False) + "\n"
        sink.write_bytes("ccp", root / "results" / f"METRICS-{day.isoformat()}.json", data.encode("utf-8"))
