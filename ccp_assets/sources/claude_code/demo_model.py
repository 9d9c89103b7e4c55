"""What a demo Claude Code session is made of: projects, versions, cache state, subagent mirrors, forced events.

What it tells the other generators is a `SessionSummary` (demo/world.py): the proxy log replays its
`calls` (each API response, with the `requestId` the transcript records) so the two sources join as a
real proxy's log and the client's transcripts do; CCC and AgentOS use the totals and turns.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccp_assets.demo.world import Project

VERSIONS = ["2.1.39"] * 6 + ["2.1.41"] * 3 + ["2.0.76"]
OLD_LAYOUT_VERSION = "2.0.76"
"""Older Claude Code wrote subagent files next to the session file instead of <session>/subagents/."""
IDLE_CAP_MS = 300_000


PROJECTS = [Project("ledger", "/home/demo/projects/ledger", True)] * 9 + [
    Project("ledger-export", "/home/demo/projects/ledger-worktrees/ledger-export", True)] * 3 + [
    Project("spotter-lite", "/home/demo/projects/spotter-lite", False)] * 4 + [
    Project("ccp-router", "/home/demo/projects/ccp-router", False)] * 4


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


def add_usage(acc: dict[tuple[str, str], list[int]], key: tuple[str, str], vals: list[int]) -> None:
    cur = acc.get(key)
    if cur is None:
        acc[key] = list(vals)
    else:
        for i, v in enumerate(vals):
            cur[i] += v
