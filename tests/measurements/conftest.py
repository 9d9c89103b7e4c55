"""Module-scoped worlds for the measurement tests: one isolated CCP_HOME / DAGSTER_HOME per test module, materialized
once by a real Dagster run and then inspected by several tests (a run costs tens of seconds).

Also small builders: a git repository with fixed commit dates (the git CLI, isolated from any user config), Claude
Code transcript lines, AgentOS window records.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def isolated_env(tmp: Path, extra: dict[str, str]) -> Iterator[Path]:
    """CCP_* and DAGSTER_HOME pointing into `tmp` (every source off unless in `extra`); yields CCP_HOME.

    CCP_START_DATE stays at its default (2024-01-01): the daily partitions are built when the definitions are first
    imported, so a later date set by one module would cut off the days of the next one in the same session."""
    dagster_home = tmp / "dagster_home"
    dagster_home.mkdir(parents=True)
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
    (tmp / "home").mkdir()
    mp = pytest.MonkeyPatch()
    try:
        for k in [k for k in os.environ if k.startswith("CCP_")]:
            mp.delenv(k)
        env = {"CCP_HOME": str(tmp / "ccp_home"), "DAGSTER_HOME": str(dagster_home), "CCP_TIMEZONE": "UTC",
               "CLAUDE_CONFIG_DIR": str(tmp / "no-claude"), "HOME": str(tmp / "home"), **extra}
        for k, v in env.items():
            mp.setenv(k, v)
        yield tmp / "ccp_home"
    finally:
        mp.undo()


METRICS_FIELDS = (
    "date", "tier", "sessions", "turns", "features_shipped", "capacity_used", "features_per_capacity",
    "quality_adjusted_efficiency", "efficiency_by_provider", "avg_cls", "avg_impf", "avg_churn_score",
    "tokens_by_model", "cost_usd_by_model", "model_share", "routing", "policy_findings", "errors", "inputs",
    "schema_version", "cost_usd_total", "cost_usd_by_source",
)
"""The rollup fields of METRICS.md: every daily metrics_summary.json has each one (null with a reason when unknown)."""


def summary(ccp_home: Path, day: str) -> dict[str, Any]:
    return json.loads((ccp_home / "rollups" / day / "metrics_summary.json").read_text())


# -- git ---------------------------------------------------------------------------------------------------

def git(repo: Path, *args: str, when: datetime | None = None) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(repo), "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.invalid",
           "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.invalid", "LC_ALL": "C"}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
    return subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false", *args], cwd=repo,
                          env=env, capture_output=True, text=True, check=True).stdout.strip()


def commit(repo: Path, files: dict[str, str | None], when: datetime, message: str) -> str:
    """Write (or, for None, delete) the files, commit everything at `when` (UTC), return the SHA."""
    for rel, text in files.items():
        p = repo / rel
        if text is None:
            p.unlink()
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, when=when)
    return git(repo, "rev-parse", "HEAD")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- Claude Code transcripts -------------------------------------------------------------------------------

def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Transcript:
    """Lines of one main-chain transcript, written with the envelope Claude Code uses."""

    def __init__(self, session_id: str):
        self.session_id = session_id
        self.lines: list[dict[str, Any]] = []
        self.n = 0

    def _env(self, kind: str, t: datetime, **kw: Any) -> dict[str, Any]:
        self.n += 1
        return {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/w/app",
                "sessionId": self.session_id, "version": "2.1.39", "gitBranch": "main", "type": kind,
                "uuid": f"{self.session_id}-{self.n:04d}", "timestamp": iso(t), **kw}

    def prompt(self, t: datetime, content: Any, **kw: Any) -> None:
        self.lines.append(self._env("user", t, message={"role": "user", "content": content}, **kw))

    def tool_result(self, t: datetime) -> None:
        self.lines.append(self._env("user", t, message={"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": f"toolu_{self.n}", "content": "ok"}]}, toolUseResult={"stdout": "ok"}))

    def answer(self, t: datetime, model: str = "claude-sonnet-4-5-20250929", tokens: tuple[int, int] = (100, 50)) -> None:
        mid = f"msg_{self.session_id}_{len(self.lines)}"
        self.lines.append(self._env("assistant", t, requestId=f"req_{mid}", message={
            "id": mid, "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "done"}],
            "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1], "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0, "service_tier": "standard"}}))

    def write(self, claude_root: Path) -> Path:
        p = claude_root / "projects" / "-w-app" / f"{self.session_id}.jsonl"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("".join(json.dumps(x) + "\n" for x in self.lines))
        return p


# -- AgentOS ------------------------------------------------------------------------------------------------

def window(wid: str, finalized: datetime, provider: str, features: int, delta: dict[str, float],
           quality: float | None = None, **extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {"window": wid, "finalized_at": finalized.isoformat(), "features": {provider: features},
                           "outcome": "pass", "providers": {provider: {"before": {}, "after": {}, "delta": delta,
                                                                      "errors": []}}, **extra}
    if quality is not None:
        rec["quality_score"] = quality
    return rec
