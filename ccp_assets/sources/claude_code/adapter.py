"""Claude Code transcripts: `projects/<project>/<sessionId>.jsonl` and `.../subagents/agent-<id>.jsonl`."""

from __future__ import annotations

from pathlib import Path

from ccp_assets.settings import Settings
from ccp_assets.sources.walk import jsonl_files

KNOWN_LINE_TYPES = ("user", "assistant", "system", "progress", "file-history-snapshot", "queue-operation",
                    "summary", "attachment", "custom-title", "tag")


class ClaudeCodeSource:
    """Every transcript under each configured Claude root (CLAUDE_CONFIG_DIR or the two defaults)."""

    name = "claude_code"
    event_time_sql = ("coalesce(TRY_CAST(j->>'$.timestamp' AS TIMESTAMPTZ), "
                      "TRY_CAST(j->>'$.snapshot.timestamp' AS TIMESTAMPTZ))")

    def roots(self, settings: Settings) -> list[Path]:
        return [d / "projects" for d in settings.claude_config_dirs if (d / "projects").is_dir()]

    def enabled(self, settings: Settings) -> bool:
        return bool(self.roots(settings))

    def files(self, settings: Settings) -> list[Path]:
        found: set[Path] = set()
        for root in self.roots(settings):
            found |= jsonl_files(root)
        return sorted(found)


def transcript_id_sql(file_col: str = "file") -> str:
    """ccusage's session id: the main chain's file stem; a subagent file belongs to its parent's folder."""
    return (f"CASE WHEN {file_col} LIKE '%/subagents/%' "
            f"THEN regexp_extract({file_col}, '/([^/]+)/subagents/[^/]+$', 1) "
            f"ELSE regexp_extract({file_col}, '/([^/]+)\\.jsonl$', 1) END")


def project_sql(file_col: str = "file") -> str:
    """The `<project>` folder right under `projects/`."""
    return f"regexp_extract({file_col}, '/projects/([^/]+)/', 1)"
