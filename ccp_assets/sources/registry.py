"""Every source the graph knows, in landing order: one line per source package (sources/<package>/).

Each package's `source.py` holds `SOURCE` (sources/protocol.py: Source). The list names packages, not
objects, so that adding a source is this one line and the package; everything above (assets, checks,
unified_turns, reports, `ccp report <agent>`) is made from SOURCES.
"""

from __future__ import annotations

from importlib import import_module

from ccp_assets.sources.protocol import Source

PACKAGES = (
    "claude_code",
    "ccp_proxy",
    "agentos",
    "ccc",
    "repo",
    "codex",
)

SOURCES: list[Source] = [import_module(f"ccp_assets.sources.{p}.source").SOURCE for p in PACKAGES]


def agents() -> dict[str, str]:
    """{rows source: ccusage agent name} of every agent source (`claude_code` -> `claude`)."""
    return {s.rows_source: s.agent for s in SOURCES if s.agent}


def by_calls(role: str) -> list[Source]:
    """The sources whose turns enter unified_turns in this role (protocol.Calls)."""
    return [s for s in SOURCES if s.calls == role]
