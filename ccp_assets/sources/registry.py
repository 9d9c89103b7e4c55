"""Every raw source the graph knows, in landing order."""

from __future__ import annotations

from ccp_assets.sources.agentos import AgentOsSource
from ccp_assets.sources.base import SourceAdapter
from ccp_assets.sources.ccc import CccEventsSource
from ccp_assets.sources.ccp_proxy import CcpProxySource
from ccp_assets.sources.claude_code import ClaudeCodeSource
from ccp_assets.sources.repo import RepoSource

SOURCES: list[SourceAdapter] = [ClaudeCodeSource(), CcpProxySource(), AgentOsSource(), CccEventsSource(),
                                RepoSource()]
