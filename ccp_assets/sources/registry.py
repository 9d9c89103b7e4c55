"""Every raw source the graph knows, in landing order."""

from __future__ import annotations

from ccp_assets.sources.agentos.adapter import AgentOsSource
from ccp_assets.sources.base import SourceAdapter
from ccp_assets.sources.ccc.adapter import CccEventsSource
from ccp_assets.sources.ccp_proxy.adapter import CcpProxySource
from ccp_assets.sources.claude_code.adapter import ClaudeCodeSource
from ccp_assets.sources.repo.adapter import RepoSource

SOURCES: list[SourceAdapter] = [ClaudeCodeSource(), CcpProxySource(), AgentOsSource(), CccEventsSource(),
                                RepoSource()]
