"""Uploads wait for everything their payloads read (issue 13): a run never queues a day before its sessions are
filled. The asset graph is the order Dagster runs steps in, so the graph is what is checked; the full-tier test
(test_upl_tiers.py) checks a real run's step order as well."""

from __future__ import annotations

from dagster import AssetKey

from ccp_assets.definitions import defs


def _ancestors(graph, key: AssetKey) -> set[str]:
    seen: set[AssetKey] = set()
    todo = [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return {k.to_user_string() for k in seen}


def test_uploads_come_after_unified_sessions_and_every_table_their_payloads_read():
    graph = defs.resolve_asset_graph()
    names = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}
    # the writers of what a payload reads: turns and sessions (every normalized source), the session fields
    # unified_sessions fills, the landed Claude Code lines (prompts), the rollup file (minimized)
    writers = {n for n, node in names.items() if node.group_name == "normalized"}
    assert {"normalized_claude_code", "normalized_ccp_proxy", "normalized_agentos", "normalized_ccc_events"} <= writers
    for upload in ("upload_minimized", "upload_full"):
        node = names[upload]
        assert {"daily_summary", "unified_sessions"} <= {k.to_user_string() for k in node.parent_keys}, upload
        assert writers | {"unified_sessions", "raw_claude_code", "daily_summary"} <= _ancestors(
            graph, AssetKey(upload)), upload
        assert upload not in _ancestors(graph, AssetKey("unified_sessions"))  # no cycle: sessions never wait on it
