"""The demo world: what one source's demo writer hands the next, and the demo repository's git.

The writers feed each other (demo/generate.py runs them in order): a Claude Code session's API calls
are the proxy log's completions, its totals and turns are the CCC client's and the AgentOS tracker's
input, the repository's edits are the sessions' Edit hunks and its commits the tracker's churn ranges.
The types they hand over live here, beside the orchestrator, so no source package imports another.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

OPUS, SONNET, HAIKU = "claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"


@dataclass(frozen=True)
class Project:
    name: str
    cwd: str
    repo_backed: bool

    @property
    def dirname(self) -> str:
        return re.sub(r"[^A-Za-z0-9]", "-", self.cwd)


@dataclass
class TurnRecord:
    """One human turn (or one subagent run) as the CCC turn entity sees it."""

    turn_id: str
    ts_ms: int
    model: str
    subagent: str
    tokens_in: int
    tokens_out: int
    input_kind: str
    latency_ms: int


@dataclass
class SessionSummary:
    """What other sources derive from a session: totals per model, spans, features, turns."""

    session_id: str
    project: Project
    branch: str
    version: str
    model: str
    start_ms: int
    end_ms: int = 0
    tokens: dict[str, list[int]] = field(default_factory=dict)
    """model -> [input, output, cache_creation, cache_read, requests], one count per API response."""
    prompts: int = 0
    interaction_ms: int = 0
    feature_shipped: bool = False
    subagents: int = 0
    turns: list[TurnRecord] = field(default_factory=list)
    usage: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(UTC date of the response's last line, model) -> [input, output, cache_creation, cache_read, responses],
    counting only what the written files still show: the expected answer of a ccusage-style dedup."""
    calls: list[ApiCall] = field(default_factory=list)
    """Every API response of the session (main chain and subagents, also those whose file is later lost)."""


@dataclass(frozen=True)
class ApiCall:
    """One API request as the proxy in front of Claude Code sees it: sent at `start_ms`, its last streamed
    block at `end_ms`; `request_id` is the upstream's id, which the client records as `requestId`."""

    request_id: str
    model: str
    start_ms: int
    end_ms: int
    input_tokens: int
    """Input side: uncached input + cache writes + cache reads (what the upstream bills as input)."""
    output_tokens: int


@dataclass(frozen=True)
class FeatureSpec:
    """One BDD feature file; `first_day` is the day index it is committed on."""

    feature_id: str
    stem: str
    title: str
    module: str
    scenarios: tuple[str, ...]
    first_day: int


FEATURES = [
    FeatureSpec("ingest-usage-files", "ingest", "Idempotent ingest of usage files", "ingest",
                ("Ingest a new usage file", "Re-ingesting the same file adds nothing", "A truncated last line is kept for later"), 0),
    FeatureSpec("tenant-budget-alerts", "billing", "Budget alerts per tenant", "billing",
                ("Alert when a tenant passes 80 percent of budget", "No alert below the threshold"), 0),
    FeatureSpec("weekly-rollup", "report", "Weekly rollup of token costs", "report",
                ("Roll up seven days into one ISO week", "A week with no data reports zeros", "Costs are summed per model"), 1),
    FeatureSpec("csv-export", "export", "CSV export of daily totals", "export",
                ("Export one day as CSV", "Export escapes commas in model names"), 2),
    FeatureSpec("quota-headroom", "quota", "Quota headroom warnings", "quota",
                ("Warn when headroom drops below the configured percent", "Headroom recovers after the window resets"), 3),
]


@dataclass
class Hunk:
    """An edit as Claude Code's Edit tool reports it (structuredPatch plus old/new strings)."""

    path: str
    old_start: int
    old_lines: int
    new_start: int
    new_lines: int
    lines: list[str]
    old_string: str
    new_string: str
    original_file: str


@dataclass
class Commit:
    sha: str
    day: dt.date
    ts: dt.datetime
    message: str


@dataclass
class RepoResult:
    """What the other generators need from the repo: commit ranges, real edit hunks, feature outcomes."""

    path: Path
    commits: list[Commit] = field(default_factory=list)
    hunks_by_day: dict[dt.date, list[Hunk]] = field(default_factory=dict)
    passing_by_day: dict[dt.date, list[str]] = field(default_factory=dict)
    features_by_day: dict[dt.date, list[str]] = field(default_factory=dict)

    def head_at(self, when: dt.datetime) -> str:
        """SHA of the last commit at or before `when` (the first commit if none)."""
        best = self.commits[0].sha
        for c in self.commits:
            if c.ts <= when:
                best = c.sha
        return best

    def day_range(self, day: dt.date) -> tuple[str, str]:
        """(commit before the day's work, last commit of the day): the churn window of that day."""
        before = [c for c in self.commits if c.day < day] or self.commits[:1]
        upto = [c for c in self.commits if c.day <= day] or self.commits[:1]
        return before[-1].sha, upto[-1].sha


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
    weekly_used_end: int = 0


def percentile(values: list[int], q: float) -> float:
    """Linear-interpolated quantile, as the proxy's own summaries report p50/p95."""
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return round(s[lo] + (s[hi] - s[lo]) * (k - lo), 1)


class Git:
    """The git CLI with an isolated config: no user settings (signing, hooks, autocrlf) can leak in."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(path), "LC_ALL": "C",
            "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Demo Dev", "GIT_AUTHOR_EMAIL": "dev@demo.invalid",
            "GIT_COMMITTER_NAME": "Demo Dev", "GIT_COMMITTER_EMAIL": "dev@demo.invalid",
        }

    def run(self, *args: str, stdin: bytes | None = None) -> str:
        res = subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", *args],
                             cwd=self.path, env=self.env, input=stdin, capture_output=True, check=True)
        return res.stdout.decode("utf-8").strip()


@functools.lru_cache(maxsize=256)
def shortstat(repo: Path, a: str, b: str) -> tuple[int, int, int]:
    """(files_changed, insertions, deletions) between two commits, straight from git (cached: windows of a
    day share their range)."""
    out = Git(repo).run("diff", "--shortstat", a, b)
    nums = [int(x) for x in re.findall(r"(\d+) (?:file|insertion|deletion)", out)]
    kinds = re.findall(r"\d+ (file|insertion|deletion)", out)
    got = dict(zip(kinds, nums, strict=True))
    return got.get("file", 0), got.get("insertion", 0), got.get("deletion", 0)
