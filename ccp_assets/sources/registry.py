"""Every raw source the graph knows, in landing order."""

from __future__ import annotations

from ccp_assets.sources.agentos import AgentOsSource
from ccp_assets.sources.base import SourceAdapter
from ccp_assets.sources.ccp_proxy import CcpProxySource
from ccp_assets.sources.claude_code import ClaudeCodeSource

SOURCES: list[SourceAdapter] = [ClaudeCodeSource(), CcpProxySource(), AgentOsSource()]
