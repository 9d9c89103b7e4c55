"""What a demo Claude Code session is made of and what it tells the other generators.

The session writer (claude_code.py) fills a `SessionSummary`; the proxy log (ccp_proxy.py) replays its
`calls` (each API response, with the `requestId` the transcript records) so the two sources join as a
real proxy's log and the client's transcripts do; CCC and AgentOS use the totals and turns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

OPUS, SONNET, HAIKU = "claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"
VERSIONS = ["2.1.39"] * 6 + ["2.1.41"] * 3 + ["2.0.76"]
OLD_LAYOUT_VERSION = "2.0.76"
"""Older Claude Code wrote subagent files next to the session file instead of <session>/subagents/."""
IDLE_CAP_MS = 300_000


@dataclass(frozen=True)
class Project:
    name: str
    cwd: str
    repo_backed: bool

    @property
    def dirname(self) -> str:
        return re.sub(r"[^A-Za-z0-9]", "-", self.cwd)


PROJECTS = [Project("ledger", "/home/demo/projects/ledger", True)] * 9 + [
    Project("ledger-export", "/home/demo/projects/ledger-worktrees/ledger-export", True)] * 3 + [
    Project("spotter-lite", "/home/demo/projects/spotter-lite", False)] * 4 + [
    Project("ccp-router", "/home/demo/projects/ccp-router", False)] * 4


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


@dataclass
class Ctx:
    """Prompt-cache state of one chain: what is cached and what is new since the last call."""

    cached: int = 0
    pending: int = 0
    last_call: int = 0
    mode: str = "5m"
    calls: int = 0


@dataclass(frozen=True)
class Mirror:
    """Where a subagent's lines are echoed in the parent as agent_progress lines."""

    agent_id: str
    prompt_js: str
    task_tool_id: str
    parent_msg_id: str


@dataclass
class Flags:
    """Rare events forced into chosen sessions so that every corpus, however small, contains them."""

    synthetic: bool = False
    api_error: bool = False
    image: bool = False
    task: bool = False


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


def add_usage(acc: dict[tuple[str, str], list[int]], key: tuple[str, str], vals: list[int]) -> None:
    cur = acc.get(key)
    if cur is None:
        acc[key] = list(vals)
    else:
        for i, v in enumerate(vals):
            cur[i] += v
