"""The AgentOS CCC client's unified event log (`ccc_events*.jsonl` under CCP_AGENTOS_DATA_DIR, any depth).

Lines: `{"type": "session", "session": {...}}`, `{"type": "turn", "ts", "turn": {...}, "measurement",
"feature", "cost", "value", "decision"}` (all but `turn` optional) and `{"type": "session_end",
"session_id", "ended_at", ...}`; payloads follow the AgentOS v1 JSON Schemas (fixtures/schemas-v1-agentos).
"""

from __future__ import annotations

from pathlib import Path

from ccp_assets.settings import Settings
from ccp_assets.sources.base import iso_or_epoch
from ccp_assets.sources.exports import glob_files

PATTERNS = ("**/ccc_events*.jsonl", "**/ccc/*events*.jsonl")
LINE_TYPES = ("session", "turn", "session_end")


class CccEventsSource:
    name = "ccc_events"
    event_time_sql = (f"coalesce({iso_or_epoch('ts')}, TRY_CAST(j->>'$.session.created_at' AS TIMESTAMPTZ), "
                      "TRY_CAST(j->>'$.ended_at' AS TIMESTAMPTZ), TRY_CAST(j->>'$.turn.ts' AS TIMESTAMPTZ))")

    def enabled(self, settings: Settings) -> bool:
        return settings.agentos_data_dir is not None and settings.agentos_data_dir.is_dir()

    def files(self, settings: Settings) -> list[Path]:
        return glob_files(settings.agentos_data_dir, PATTERNS, (".git", "node_modules"))
