"""AgentOS tracker ledgers, derived from the other demo sources so the joins mean something.

Claude windows follow the day's transcript tokens, GLM prompt counts equal the proxy's zai
completions, churn ranges are real commits of the demo repo. Corner cases the metrics must handle are
placed on purpose: a corrected window (same id, later finalized_at), an exact duplicate, and a codex
window whose 5-hour bar reset inside it (negative delta, so the weekly fallback applies).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from ccp_assets.demo.ids import iso_us, rng_for
from ccp_assets.demo.sink import Sink
from ccp_assets.demo.world import ProxyDay, RepoResult, percentile, shortstat

META = {"schema_version": "1.0.0", "tool_version": "0.1.0"}
PP_SESSION, PP_WEEK, PP_OPUS = 40_000, 250_000, 150_000
"""Weighted tokens per percentage point of the Claude bars, per seat (a scale-K team has K seats)."""
_dumps = json.JSONEncoder(ensure_ascii=False).encode
_FULL = "\u2588"


@dataclass
class ClaudeDay:
    """Per-day totals of the transcripts, the input of Claude windows and monitor snapshots."""

    sessions: int = 0
    features: int = 0
    messages: int = 0
    tokens: int = 0
    weighted: float = 0.0
    """Tokens weighted like a usage bar: output 5x, cache writes 1.25x, cache reads 0.1x."""
    opus_weighted: float = 0.0
    first_ms: int = 0
    last_ms: int = 0
    spans: list[tuple[int, int]] = field(default_factory=list)


def _ms(day: dt.date, h: int, m: int) -> int:
    return int(dt.datetime.combine(day, dt.time(h, m), dt.UTC).timestamp() * 1000)


def _codex_box(p: dict) -> str:
    bar = "\u2588" * (p["fiveh_pct"] // 5) + "\u2591" * (20 - p["fiveh_pct"] // 5)
    wbar = "\u2588" * (p["weekly_pct"] // 5) + "\u2591" * (20 - p["weekly_pct"] // 5)
    return ("\u256d" + "\u2500" * 76 + "\u256e\n\u2502  >_ OpenAI Codex (v0.44.0)\n\u2502  Model:            gpt-5-codex "
            "(reasoning high, summaries auto)\n\u2502  Directory:        ~/projects/ledger\n"
            f"\u2502  5h limit:         [{bar}] {p['fiveh_pct']}% used (resets {p['fiveh_resets']})\n"
            f"\u2502  Weekly limit:     [{wbar}] {p['weekly_pct']}% used (resets {p['weekly_resets']})\n"
            "\u2570" + "\u2500" * 76 + "\u256f")


def _claude_usage(p: dict) -> str:
    return (f"> /usage\n Current session\n {_FULL * (p['session_pct'] // 2)} {p['session_pct']}% used\n "
            f"Resets {p['session_resets']}\n\n Current week (all models)\n {p['all_models_pct']}% used\n "
            f"Resets {p['all_models_resets']}\n\n Current week (Opus)\n {p['opus_pct']}% used")


class _Ledgers:
    def __init__(self, sink: Sink, root: Path, rng: random.Random, repo: RepoResult | None, scale: int) -> None:
        self.sink, self.root, self.rng, self.repo, self.scale = sink, root, rng, repo, scale
        self.codex_weekly = 12
        self.claude_week = 8
        self.opus_week = 3
        self.pending_corrections: list[tuple[int, dict]] = []

    def put(self, name: str, obj: dict) -> None:
        self.sink.append("agentos", self.root / name, _dumps(obj))

    def window(self, wid: str, provider: str, before: dict, after: dict, t0: int, t1: int, features: dict,
               notes: str, quality: float | None, extra: dict | None = None) -> dict:
        delta = {k: after[k] - before[k] for k in before if k.endswith("_pct") or k == "prompts_used"}
        rec: dict = {"window": wid, "finalized_at": iso_us(t1 + self.rng.randint(15_000, 90_000), self.rng.randint(0, 999)),
                     "features": features}
        if quality is not None:
            rec["quality_score"] = quality
            rec["quality"] = quality
        rec["outcome"] = "pass"
        rec["notes"] = notes
        rec["providers"] = {provider: {"before": {**before, "errors": []}, "after": {**after, "errors": []},
                                       "delta": delta, "captured_at": {"before": iso_us(t0, 1), "after": iso_us(t1, 2)},
                                       "notes": [notes, notes], "errors": []}}
        rec.update(extra or {})
        rec.update(META)
        return rec

    def snapshots(self, rec: dict, provider: str) -> None:
        p = rec["providers"][provider]
        for phase in ("before", "after"):
            parsed = p[phase]
            raw = _codex_box(parsed) if provider == "codex" else _claude_usage(parsed)
            self.put("snapshots.jsonl", {"window": rec["window"], "provider": provider, "phase": phase,
                                         "captured_at": p["captured_at"][phase], "notes": rec["notes"], "raw_text": raw,
                                         "parsed": parsed, "source": "alias", **META})

    def churn(self, wid: str, provider: str, day: dt.date, features: int, t: int) -> dict | None:
        if self.repo is None:
            return None
        a, b = self.repo.day_range(day)
        files, ins, dels = shortstat(self.repo.path, a, b)
        net = ins - dels
        self.put("churn.jsonl", {"window": wid, "provider": provider, "methodology": "demo", "commit_start": a,
                                 "commit_end": b, "files_changed": files, "insertions": ins, "deletions": dels,
                                 "net": net, "features": features,
                                 "normalized_churn": (net / features) if features else None,
                                 "captured_at": iso_us(t, 3), "notes": "", "source": "churn", **META})
        return {"commit_range": f"{a[:12]}..{b[:12]}", "churn": {"insertions": ins, "deletions": dels, "net": net}}

    def day(self, i: int, day: dt.date, days: int, cd: ClaudeDay, pd: ProxyDay) -> None:
        rng = self.rng
        wk, tag = i // 7, f"{i:02d}"
        if i % 7 == 0 and i:
            self.codex_weekly, self.claude_week, self.opus_week = rng.randint(2, 8), rng.randint(1, 6), rng.randint(0, 3)
        # -- codex: one window a day; day 1 (or 0) has its 5h bar reset inside the window
        t0, t1 = _ms(day, 9, rng.randint(0, 40)), _ms(day, 12, rng.randint(0, 50))
        reset = i == min(1, days - 1)
        f0 = 86 if reset else rng.randint(0, 12)
        d5 = -81 if reset else rng.randint(3, 24)
        dw = rng.randint(5, 9) if reset else max(1, d5 // 3)
        before = {"fiveh_pct": f0, "fiveh_resets": "14:01", "weekly_pct": self.codex_weekly,
                  "weekly_resets": f"21:11 on {(day + dt.timedelta(days=6 - i % 7)).strftime('%d %b')}"}
        after = {**before, "fiveh_pct": f0 + d5, "fiveh_resets": "19:01" if reset else "14:01",
                 "weekly_pct": min(100, self.codex_weekly + dw)}
        self.codex_weekly = after["weekly_pct"]
        cf = rng.randint(1, 3) if reset else rng.randint(0, 3)
        extra = self.churn(f"W{wk}-{tag}", "codex", day, cf, t1 + 30_000) or {}
        rec = self.window(f"W{wk}-{tag}", "codex", before, after, t0, t1, {"codex": cf, "claude": 0, "glm": 0},
                          "5h bar reset inside window" if reset else "codex lane", 1.0 if i % 2 == 0 else None, extra)
        self.put("windows.jsonl", rec)
        self.snapshots(rec, "codex")
        # -- claude: spans the day's sessions; the bar rises with the day's tokens
        t0 = cd.first_ms or _ms(day, 13, 0)
        t1 = max(cd.last_ms, t0 + 60_000)
        s0 = rng.randint(0, 6)
        seat = self.scale
        ds = min(94 - s0, max(1, int(cd.weighted / (PP_SESSION * seat))))
        opus_d = min(100 - self.opus_week, int(cd.opus_weighted / (PP_OPUS * seat)))
        all_d = min(100 - self.claude_week, max(1, int(cd.weighted / (PP_WEEK * seat))))
        before = {"session_pct": s0, "session_resets": "9pm", "all_models_pct": self.claude_week,
                  "all_models_resets": (day + dt.timedelta(days=6 - i % 7)).strftime("%b %d, 1:59am"),
                  "opus_pct": self.opus_week}
        after = {**before, "session_pct": s0 + ds, "all_models_pct": self.claude_week + all_d,
                 "opus_pct": self.opus_week + opus_d}
        self.claude_week, self.opus_week = after["all_models_pct"], after["opus_pct"]
        wid = f"W{wk}-{tag}C"
        extra = self.churn(wid, "claude", day, cd.features, t1 + 40_000) or {}
        feats = {"codex": 0, "claude": cd.features, "glm": 0}
        rec = self.window(wid, "claude", before, after, t0, t1, feats, "claude lane", 1.0 if i % 3 else 0.9, extra)
        if i == 0:
            # first record finalized too early: the bar had not caught up; corrected below, later in the file
            early = json.loads(json.dumps(rec))
            p = early["providers"]["claude"]
            p["after"]["session_pct"] = s0 + max(1, ds // 2)
            p["delta"]["session_pct"] = p["after"]["session_pct"] - s0
            early["features"]["claude"] = max(0, cd.features - 1)
            self.put("windows.jsonl", early)
            rec["finalized_at"] = iso_us(t1 + 45 * 60_000, 4)
            rec["notes"] = "claude lane (corrected)"
            self.pending_corrections.append((i, rec))
        else:
            self.put("windows.jsonl", rec)
        self.snapshots(rec, "claude")
        self.put("claude_monitor.jsonl", {
            "window": wid, "provider": "claude-monitor", "captured_at": iso_us(t1 + 5000, 5), "notes": "",
            "raw_text": f"CLAUDE CODE USAGE MONITOR\nTokens:         {cd.tokens:,} / ~{cd.tokens * 3:,}\n"
                        f"Sent Messages:  {cd.messages} messages",
            "parsed": {"token_usage_pct": round(100 * cd.tokens / max(1, cd.tokens * 3), 1), "tokens_used": cd.tokens,
                       "token_limit": cd.tokens * 3, "burn_rate_per_min": round(cd.tokens / max(1, (t1 - t0) / 60000), 1),
                       "cost_rate_per_min": 0.0, "message_count": cd.messages, "errors": []}, "source": "ingest"})
        # -- glm: prompts used equal the zai completions the proxy logged that day
        prompts = pd.completions["zai"]
        t0, t1 = _ms(day, 8, 0), _ms(day, 20, 0)
        gid = f"W{wk}-{tag}G"
        gfeat = min(3, prompts // 20)
        rec = self.window(gid, "glm", {"prompts_used": 0}, {"prompts_used": prompts}, t0, t1,
                          {"codex": 0, "claude": 0, "glm": gfeat}, "glm lane via ccp", None)
        self.put("windows.jsonl", rec)
        if i == days - 1:
            self.put("windows.jsonl", rec)  # exact duplicate: the tracker retried an append
        blocks = {"account": "claude", "generated_at": iso_us(t1 + 60_000, 6).replace("+00:00", "Z"),
                  "blocks": [{"window_id": gid, "provider": "glm-4.6", "prompts_used": prompts, "duration_minutes": 300,
                              "notes": "Pro block"}]}
        self.put("glm_counts.jsonl", {"window": gid, "provider": "glm", "captured_at": iso_us(t1 + 70_000, 7), "notes": "",
                                      "raw_text": json.dumps(blocks, indent=2),
                                      "parsed": {**blocks, "blocks": [{**blocks["blocks"][0], "prompts_used": float(prompts)}],
                                                 "prompts_used": float(prompts), "errors": []},
                                      "source": "ingest", "prompts_used": float(prompts)})
        self.telemetry(f"W{wk}-{tag}P", day, pd, t1)
        self.codex_ccusage(f"W{wk}-{tag}", day, _ms(day, 12, 55))
        still = []
        for when, corrected in self.pending_corrections:
            if when < i or i == days - 1:
                self.put("windows.jsonl", corrected)
            else:
                still.append((when, corrected))
        self.pending_corrections = still

    def telemetry(self, wid: str, day: dt.date, pd: ProxyDay, t: int) -> None:
        lat = [x for v in pd.latencies.values() for x in v]
        total = sum(pd.completions.values())
        errs = sum(pd.errors.values())
        self.put("proxy_telemetry.jsonl", {
            "window": wid, "provider": "proxy-telemetry", "captured_at": iso_us(t + 90_000, 8), "notes": "",
            "raw_text": "\n".join(pd.sample),
            "parsed": {"total": total, "routed_to_glm_pct": round(100 * pd.completions["zai"] / max(1, total), 2),
                       "latency_p50_ms": percentile(lat, 0.5), "latency_p95_ms": percentile(lat, 0.95),
                       "error_rate_pct": round(100 * errs / max(1, total + errs), 2), "errors": []},
            "source": "ingest", **META})

    def codex_ccusage(self, wid: str, day: dt.date, t: int) -> None:
        rng = self.rng
        sessions = []
        for k in range(rng.randint(1, 3)):
            inp = rng.randint(2_000_000, 90_000_000)
            cached = int(inp * rng.uniform(0.9, 0.98))
            out = rng.randint(50_000, 500_000)
            reasoning = out // 2
            sid = f"{day.strftime('%Y/%m/%d')}/rollout-{day.isoformat()}T{9 + k:02d}-{rng.randint(10, 59)}-00-" \
                  f"{rng.getrandbits(128):032x}"
            cost = round((inp - cached) * 1.25e-6 + cached * 0.125e-6 + out * 10e-6, 6)
            sessions.append({"sessionId": sid, "lastActivity": iso_us(t - 3_600_000 * k).replace("+00:00", "Z"),
                             "inputTokens": inp, "cachedInputTokens": cached, "outputTokens": out,
                             "reasoningOutputTokens": reasoning, "totalTokens": inp + out, "costUSD": cost,
                             "models": {"gpt-5-codex": {"inputTokens": inp, "cachedInputTokens": cached,
                                                        "outputTokens": out, "reasoningOutputTokens": reasoning,
                                                        "totalTokens": inp + out, "isFallback": False}}})
        parsed = {"scope": "session", "session_count": len(sessions),
                  "total_tokens": sum(s["totalTokens"] for s in sessions),
                  "cost_usd": round(sum(s["costUSD"] for s in sessions), 6),
                  "latest_session": {"session_id": sessions[0]["sessionId"], "total_tokens": sessions[0]["totalTokens"],
                                     "cost_usd": sessions[0]["costUSD"], "last_activity": sessions[0]["lastActivity"]},
                  "sessions": [{"session_id": s["sessionId"], "total_tokens": s["totalTokens"], "cost_usd": s["costUSD"],
                                "last_activity": s["lastActivity"]} for s in sessions]}
        self.put("codex_ccusage.jsonl", {"window": wid, "provider": "codex-ccusage", "scope": "session",
                                         "captured_at": iso_us(t, 9), "notes": "",
                                         "raw_text": json.dumps({"sessions": sessions}, indent=2), "parsed": parsed,
                                         "source": "ingest", **META})


def write_agentos(sink: Sink, root: Path, seed: int, days: list[dt.date], claude: dict[dt.date, ClaudeDay],
                  proxy: dict[dt.date, ProxyDay], repo: RepoResult | None, scale: int = 1) -> None:
    """All ledgers, appended in time order like the tracker does."""
    led = _Ledgers(sink, root, rng_for(seed, "agentos"), repo, scale)
    for i, day in enumerate(days):
        led.day(i, day, len(days), claude.get(day, ClaudeDay()), proxy.get(day, ProxyDay(day)))
