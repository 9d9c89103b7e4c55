"""Entry point: `write_demo_data` writes every demo source under one directory and returns a manifest.

Layout under `out/`:

    claude/projects/<cwd with non-alphanumerics as ->/<sessionId>.jsonl     CLAUDE_CONFIG_DIR=out/claude
    claude/projects/<project>/<sessionId>/subagents/agent-<agentId>.jsonl
    claude/projects/<project>/agent-<agentId>.jsonl                      (sessions of the old 2.0.76 layout)
    ccp/usage-YYYYMMDD.jsonl (past days, rotated), ccp/usage.jsonl (last day)    CCP_USAGE_LOG_DIR=out/ccp
    ccp/results/METRICS-<date>.json     two days before the first log day (backfill only)
    agentos/windows.jsonl glm_counts.jsonl churn.jsonl snapshots.jsonl codex_ccusage.jsonl
            proxy_telemetry.jsonl claude_monitor.jsonl ccc_events.jsonl     CCP_AGENTOS_DATA_DIR=out/agentos
    repo/   git repo (src/ledger/*.py, features/*.feature), repo/reports/junit-<date>.xml (git-ignored)
    <source name>/  what a standalone source's writer wrote (sources/protocol.py: Source.write_demo)
    demo_manifest.json, .ccp-demo (marker: this directory may be regenerated)

The first five sources feed each other (a transcript's calls are the proxy's log lines, the day's
sessions are the tracker's windows), so their writers are called here by name; every other registered
source writes its own files through `Source.write_demo`.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ccp_assets.demo.sink import DemoRun, Sink, SourceStats
from ccp_assets.demo.world import OPUS, ApiCall, ProxyDay, SessionSummary
from ccp_assets.sources.agentos.demo import ClaudeDay, write_agentos
from ccp_assets.sources.ccc import demo as ccc
from ccp_assets.sources.ccp_proxy.demo import write_results, write_usage_log
from ccp_assets.sources.claude_code.demo import generate_day
from ccp_assets.sources.registry import SOURCES
from ccp_assets.sources.repo.demo import build_repo

MARKER = ".ccp-demo"
"""Present in a directory this generator owns: only such a directory is ever cleared."""
OWNED = ("claude", "ccp", "agentos", "repo")
RESULT_DAYS = 2
USAGE_KEYS = ("input", "output", "cache_creation", "cache_read", "responses")


@dataclass
class DemoManifest:
    """What was written: roots to point the CCP_* settings at, files, per-source counts, date range."""

    out: Path
    start: dt.date
    end: dt.date
    days: int
    scale: int
    seed: int
    roots: dict[str, Path]
    sources: dict[str, SourceStats]
    files: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    """Wall seconds per generator (repo, claude, ccp, agentos)."""
    expected_usage: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    """{UTC day: {model: {input, output, cache_creation, cache_read, responses}}} that a correct
    (message.id, requestId) dedup of the transcripts must find (ccusage's daily numbers)."""
    cpu_seconds: float = 0.0
    """CPU seconds of the whole run (all threads, git children excluded): robust on a busy machine."""
    commits: int = 0
    source_env: dict[str, str] = field(default_factory=dict)
    """Settings pointing at what standalone source writers wrote (Source.write_demo)."""

    @property
    def total_bytes(self) -> int:
        return sum(s.bytes for s in self.sources.values())

    @property
    def mb_per_s(self) -> float:
        """Wall throughput of the two bulk generators (transcripts, proxy log): what grows with scale."""
        secs = self.seconds.get("claude", 0.0) + self.seconds.get("ccp", 0.0)
        gen_bytes = sum(self.sources[k].bytes for k in ("claude", "ccp") if k in self.sources)
        return gen_bytes / 1e6 / secs if secs > 0 else 0.0

    @property
    def mb_per_cpu_s(self) -> float:
        """Bytes written per CPU second: the one-core throughput, unaffected by other load."""
        return self.total_bytes / 1e6 / self.cpu_seconds if self.cpu_seconds > 0 else 0.0

    def env(self) -> dict[str, str]:
        """The settings (INTERFACES.md) that point the platform at this data."""
        return {"CLAUDE_CONFIG_DIR": str(self.roots["claude"]), "CCP_USAGE_LOG_DIR": str(self.roots["ccp"]),
                "CCP_AGENTOS_DATA_DIR": str(self.roots["agentos"]), "CCP_REPO_DIR": str(self.roots["repo"]),
                "CCP_START_DATE": (self.start - dt.timedelta(days=RESULT_DAYS)).isoformat(), **self.source_env}

    def to_json(self) -> dict:
        """Deterministic summary (no timings, relative paths): written as out/demo_manifest.json."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days, "scale": self.scale,
                "seed": self.seed, "commits": self.commits,
                "roots": {k: str(v.relative_to(self.out)) for k, v in self.roots.items()},
                # the settings of sources that write their own demo (Source.write_demo), relative when under out
                "source_env": {k: str(Path(v).relative_to(self.out)) if Path(v).is_relative_to(self.out) else v
                               for k, v in sorted(self.source_env.items())},
                "sources": {k: {"files": v.files, "lines": v.lines, "bytes": v.bytes} for k, v in sorted(self.sources.items())},
                "expected_usage": self.expected_usage}


def _prepare(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    marker = out / MARKER
    if any(out.iterdir()) and not marker.exists():
        raise FileExistsError(f"{out} is not empty and was not written by `ccp demo-data`; choose an empty directory")
    for name in (*OWNED, *(s.name for s in SOURCES)):
        shutil.rmtree(out / name, ignore_errors=True)
    marker.write_text("written by ccp demo-data; safe to delete\n", encoding="utf-8")


def _absorb(cd: ClaudeDay, usage: dict[str, dict[str, dict[str, int]]], s: SessionSummary) -> None:
    """Fold one session into its day's totals (inputs of the AgentOS ledgers and the proxy volume)."""
    cd.sessions += 1
    cd.features += int(s.feature_shipped)
    cd.messages += sum(v[4] for v in s.tokens.values())
    for model, (inp, outp, cc, cr, _) in s.tokens.items():
        cd.tokens += inp + outp + cc + cr
        w = inp + 5 * outp + 1.25 * cc + 0.1 * cr
        cd.weighted += w
        cd.opus_weighted += w if model == OPUS else 0.0
    cd.first_ms = min(cd.first_ms or s.start_ms, s.start_ms)
    cd.last_ms = max(cd.last_ms, s.end_ms)
    cd.spans.append((s.start_ms, s.end_ms))
    for (date, model), vals in s.usage.items():
        row = usage.setdefault(date, {}).setdefault(model, dict.fromkeys(USAGE_KEYS, 0))
        for k, v in zip(USAGE_KEYS, vals, strict=True):
            row[k] += v


def write_demo_data(out: Path, days: int = 7, scale: int = 1, seed: int = 7, end: dt.date | None = None) -> DemoManifest:
    """Write realistic, seeded logs of every source for `days` days ending at `end` (default: yesterday UTC).

    Same arguments give byte-identical files (git SHAs included). `scale` multiplies sessions and proxy
    requests per day, so the size grows linearly (scale 1 is ~3-5 MB of transcripts for 7 days).
    """
    if days < 1 or scale < 1:
        raise ValueError("days and scale must be >= 1")
    out = Path(out).resolve()
    end = end or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
    start = end - dt.timedelta(days=days - 1)
    day_list = [start + dt.timedelta(days=i) for i in range(days)]
    _prepare(out)
    roots = {"claude": out / "claude", "ccp": out / "ccp", "agentos": out / "agentos", "repo": out / "repo"}
    sink = Sink(out)
    secs: dict[str, float] = {}
    cpu0 = time.process_time()

    t = time.perf_counter()
    repo = build_repo(sink, roots["repo"], start, days, seed)
    secs["repo"] = time.perf_counter() - t

    t = time.perf_counter()
    claude_days: dict[dt.date, ClaudeDay] = {}
    calls: dict[dt.date, list[ApiCall]] = {}
    usage: dict[str, dict[str, dict[str, int]]] = {}
    ccc_path = roots["agentos"] / "ccc_events.jsonl"
    for i, day in enumerate(day_list):
        cd = claude_days[day] = ClaudeDay()
        for s in generate_day(sink, roots["claude"] / "projects", seed, day, i, days, scale, list(repo.hunks_by_day[day])):
            _absorb(cd, usage, s)
            calls.setdefault(day, []).extend(s.calls)
            ccc.write_session(sink, ccc_path, s, repo)
    secs["claude"] = time.perf_counter() - t

    t = time.perf_counter()
    proxy_days: dict[dt.date, ProxyDay] = {}
    weekly = 0
    for i, day in enumerate(day_list):
        if i % 7 == 0:
            weekly = 0
        cd = claude_days[day]
        pd = write_usage_log(sink, roots["ccp"], seed, day, i, i == days - 1, i == 0, cd.spans, scale, weekly,
                             calls.get(day, []))
        weekly = pd.weekly_used_end
        proxy_days[day] = pd
    write_results(sink, roots["ccp"], seed, [start - dt.timedelta(days=k) for k in range(RESULT_DAYS, 0, -1)], scale)
    secs["ccp"] = time.perf_counter() - t

    t = time.perf_counter()
    write_agentos(sink, roots["agentos"], seed, day_list, claude_days, proxy_days, repo, scale)
    secs["agentos"] = time.perf_counter() - t

    source_env: dict[str, str] = {}
    for source in SOURCES:
        t = time.perf_counter()
        env = source.write_demo(DemoRun(sink, out / source.name, seed, day_list, scale))
        if env:
            roots[source.name] = out / source.name
            source_env |= env
            secs[source.name] = time.perf_counter() - t
    sink.close()

    expected = {d: dict(sorted(m.items())) for d, m in sorted(usage.items())}
    manifest = DemoManifest(out, start, end, days, scale, seed, roots, sink.stats, sink.paths, secs, expected,
                            time.process_time() - cpu0, len(repo.commits), source_env)
    (out / "demo_manifest.json").write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
    return manifest
