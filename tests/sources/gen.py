"""Small hand-made inputs for the source tests (the real AgentOS fixtures are copied, never written)."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

DECISION_KINDS = ("pass", "quota", "manual", "fallback", "429", "5xx", "timeout", "net", "preemptive")


def epoch(day: date, hour: int, minute: int = 0, second: float = 0.0) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC).timestamp() + second


class _ProxyDay:
    """Events of one request flow at a time, appended to `out`."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.out: list[dict] = []
        self.rid = ""
        self.i = 0

    def decision(self, ts: float, lane: str, m: str, dec: str, reason: str | None, mode: str, verdict: str,
                 cooldown: bool = False) -> None:
        ev = {"ts": round(ts, 6), "rid": self.rid, "lane": lane, "model": m, "status": -1, "event": "decision",
              "decision": dec, "upstream": "anth" if lane == "anthropic" else "zai", "reroute_mode": mode,
              "reroute_decision": verdict, "preferred_attempt": 0, "cooldown_active": cooldown,
              "headroom_pct_rolling": round(self.rng.uniform(0, 100), 2), "headroom_pct_weekly": 55.5,
              "warn_pct_cfg": 80, "warn_pct_auto": 0.7, "gap_samples": 12, "h2": True}
        if reason:
            ev["decision_reason"] = reason
        if cooldown:
            ev["cooldown_next_ts"] = round(ts + 300, 3)
        self.out.append(ev)

    def error(self, ts: float, lane: str, m: str, err: str) -> float:
        wasted = self.rng.randint(50, 3000)
        self.out.append({"ts": round(ts, 6), "rid": self.rid, "lane": lane, "model": m,
                         "status": {"429": 429, "5xx": 529}.get(err, 0), "event": "error", "err_type": err,
                         "retry": True, "backoff_ms": 500, "wasted_retry_ms": wasted,
                         "upstream": "anth" if lane == "anthropic" else "zai"})
        return ts + (wasted + 500) / 1000

    def complete(self, ts: float, lane: str, m: str) -> None:
        rng = self.rng
        stream = rng.random() < 0.6
        inp, outp = rng.randint(800, 60_000), rng.randint(10, 4000)
        ttft = rng.randint(200, 2000)
        lat = ttft + rng.randint(100, 20_000)
        ev = {"ts": round(ts + lat / 1000, 6), "rid": self.rid, "lane": lane, "model": m, "input_tokens": inp,
              "output_tokens": outp, "status": 200, "reason": "ok", "op": "stream" if stream else "nonstream",
              "latency_ms": lat, "upstream": "anth" if lane == "anthropic" else "zai", "h2": True,
              "rolling_used_tokens": 1000 * self.i, "rolling_capacity_tokens": 12_000_000}
        if stream:
            ev["ttft_ms"], ev["stream_ms"] = ttft, lat - ttft
        self.out.append(ev)


def proxy_day(day: date, n: int = 60, seed: int = 3) -> list[dict]:
    """Proxy events of one day in time order: every decision kind and error class, as SOURCES.md lists them."""
    g = _ProxyDay(seed)
    t = epoch(day, 9)
    for i in range(n):
        kind = DECISION_KINDS[i % len(DECISION_KINDS)]
        g.i, g.rid = i, f"r{day:%m%d}-{i:04d}"
        model = g.rng.choice(["claude-sonnet-4-5-20250929", "claude-opus-4-6", "claude-haiku-4-5-20251001"])
        glm = "glm-4.5-air" if "haiku" in model else "glm-4.6"
        t += g.rng.uniform(20, 200)
        if kind == "pass":
            g.decision(t, "anthropic", model, "pass_through", None, "hybrid", "stay")
            g.complete(t + 0.002, "anthropic", model)
        elif kind in ("quota", "manual", "preemptive"):
            reason = {"quota": "quota_block", "manual": "manual_override", "preemptive": "quota_block"}[kind]
            g.decision(t, "zai", glm, "forced_model", reason, "preemptive" if kind == "preemptive" else "run2cap",
                       "reroute_zai")
            g.complete(t + 0.002, "zai", glm)
        elif kind == "fallback":
            t2 = g.error(t, "anthropic", model, "5xx")
            g.decision(t2, "zai", glm, "failover_paused", "fallback", "hybrid", "failover", cooldown=True)
            g.complete(t2 + 0.002, "zai", glm)
        else:
            g.decision(t, "anthropic", model, "pass_through", None, "hybrid", "stay")
            t2 = g.error(t + 0.5, "anthropic", model, kind)
            g.complete(t2, "anthropic", model)
    g.out.sort(key=lambda e: e["ts"])
    return g.out


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


def ccc_session(session_id: str, start: datetime, turns: int = 3, feature: bool = True) -> list[dict]:
    """One CCC session as the client writes it: session, turns (the last with feature payloads), session_end."""
    out: list[dict] = [{"type": "session", "session": {
        "session_id": session_id, "repo_id": "ledger", "branch": "main", "commit": "a" * 40,
        "license_id": "lic-1", "privacy_tier": "local", "created_at": start.isoformat(),
        "metadata": {"source": "claude-code", "cwd": "/w/ledger", "version": "2.1.39"}}}]
    for k in range(turns):
        ts = start + timedelta(minutes=2 * k + 1)
        line = {"type": "turn", "ts": ts.isoformat(),
                "turn": {"turn_id": f"{session_id}-t{k}", "session_id": session_id, "model": "claude-opus-4-6",
                         "subagent": "main", "tokens_in": 1000 + k, "tokens_out": 200 + k, "input_kind": "text",
                         "latency_ms": 1500.0},
                "cost": {"provider": "anthropic", "unit_costs": {"input_per_mtok": 5.0, "output_per_mtok": 25.0},
                         "estimated_usd": 0.01}}
        if feature and k == turns - 1:
            line.update({
                "feature": {"feature_id": "csv-export", "spec_ref": "features/export.feature:2", "status": "implemented"},
                "measurement": {"cls": 0.4, "impf": 3.5, "churn_score": 0.1, "feature_delta": 1, "errors": []},
                "value": {"summary": "csv-export scenarios pass", "links": [], "evidence_refs": ["features/export.feature:2"]},
                "decision": {"reroute_mode": "hybrid", "reroute_decision": "stay", "preferred_attempt": 0,
                             "warn_pct_auto": 0.72, "warn_pct_confidence": 0.35, "gap_seconds_p50": 12,
                             "gap_seconds_p95": 48, "gap_samples": 14, "warn_pct_cfg": 0.8}})
        out.append(line)
    out.append({"type": "session_end", "session_id": session_id,
                "ended_at": (start + timedelta(minutes=2 * turns + 1)).isoformat(), "turns": turns,
                "features_completed": int(feature), "interaction_minutes": 4.5})
    return out


FEATURE_TEXT = """@id:csv-export @module:export
Feature: CSV export of daily totals
  As a team lead I want exports.

  Scenario: Export one day as CSV
    Given a ledger
    Then it works

  Scenario: Export escapes commas in model names
    Given a ledger
    Then it works
"""
FEATURE_NO_ID = """Feature: Weekly rollup of token costs

  Scenario: Roll up seven days into one ISO week
    Given data
"""


def git(repo: Path, *args: str, when: datetime | None = None) -> str:
    import os
    import subprocess

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.invalid",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.invalid"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
    return subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, env=env, capture_output=True,
                          text=True, check=True).stdout.strip()


def commit(repo: Path, files: dict[str, str], when: datetime, message: str) -> str:
    for rel, text in files.items():
        p = repo / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")


def junit(cases: list[tuple[str, str, bool, dict[str, str] | None]], stamp: str) -> str:
    """cases: (classname, name, passed, properties)."""
    out = []
    for cls, name, ok, props in cases:
        p = "".join(f'<property name="{k}" value="{v}"/>' for k, v in (props or {}).items())
        body = (f"<properties>{p}</properties>" if p else "") + ("" if ok else '<failure message="boom">E</failure>')
        out.append(f'<testcase classname="{cls}" name="{name}" time="0.1">{body}</testcase>')
    fails = sum(1 for c in cases if not c[2])
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="pytest" errors="0" '
            f'failures="{fails}" tests="{len(cases)}" timestamp="{stamp}">' + "".join(out) + "</testsuite></testsuites>\n")
