"""Every raw source the graph knows, in landing order."""

from __future__ import annotations

from ccp_assets.sources.base import SourceAdapter
from ccp_assets.sources.claude_code import ClaudeCodeSource

SOURCES: list[SourceAdapter] = [ClaudeCodeSource()]
