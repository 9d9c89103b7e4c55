"""AgentOS tracker ledgers under CCP_AGENTOS_DATA_DIR, at its root or in any subfolder (live/, tracker/, ...).

JSONL ledgers land as they are; which ledger a line belongs to is its file name. Whole-JSON captures
the tracker keeps beside them (ccusage/*.json, glm/*.json, ccc/*usage*.json) are exported one line
per version to `$CCP_HOME/exports/agentos/documents.jsonl` (sources/exports.py) and land with them.
The CCC client's event log (`ccc_events*.jsonl`) is a source of its own (sources/ccc/).
"""

from __future__ import annotations

from pathlib import Path

from ccp_assets.settings import Settings
from ccp_assets.sources.base import iso_or_epoch
from ccp_assets.sources.exports import ExportLog, export_dir, export_documents, glob_files, iso_utc

LEDGERS = ("windows", "glm_counts", "churn", "snapshots", "codex_ccusage", "proxy_telemetry", "claude_monitor")
PROXY_LINE_PATTERNS = ("**/proxy/*.jsonl", "**/telemetry_sample*.jsonl")
"""Raw proxy lines of the old style (ISO `ts`, status "ok") the tracker keeps as samples."""
DOCUMENT_PATTERNS = {"**/ccusage/*.json": "ccusage", "**/glm/*.json": "glm_ccusage", "**/ccc/*usage*.json": "ccc_usage"}
SKIP_DIRS = (".git", "node_modules", "__pycache__")


def ledger_of(path: str) -> str:
    """The ledger a landed line belongs to, from its file name (documents carry their own kind)."""
    name = Path(path).name
    stem = name[:-6] if name.endswith(".jsonl") else name
    if stem in LEDGERS:
        return stem
    return "proxy_lines"


def document_ts(doc: object, path: Path, mtime: float) -> str | None:
    """Event time of a captured document: generated_at, ts, the latest session activity, else None (mtime)."""
    if not isinstance(doc, dict):
        return None
    for key in ("generated_at", "captured_at"):
        if isinstance(doc.get(key), str):
            return doc[key]
    if isinstance(doc.get("ts"), int | float) and not isinstance(doc.get("ts"), bool):
        return iso_utc(doc["ts"] / (1000 if doc["ts"] > 1e11 else 1))
    sessions = doc.get("sessions")
    if isinstance(sessions, list):
        acts = [s.get("lastActivity") for s in sessions if isinstance(s, dict) and isinstance(s.get("lastActivity"), str)]
        if acts:
            return max(acts)
    return None


class AgentOsSource:
    """Every AgentOS ledger file, the tracker's old-style proxy samples and its exported JSON captures."""

    name = "agentos"
    event_time_sql = (f"coalesce(TRY_CAST(j->>'$.finalized_at' AS TIMESTAMPTZ), "
                      f"TRY_CAST(j->>'$.captured_at' AS TIMESTAMPTZ), {iso_or_epoch('ts')})")

    def enabled(self, settings: Settings) -> bool:
        return settings.agentos_data_dir is not None and settings.agentos_data_dir.is_dir()

    def export_log(self, settings: Settings) -> ExportLog:
        return ExportLog(export_dir(settings, self.name) / "documents.jsonl")

    def ledger_files(self, settings: Settings) -> list[Path]:
        patterns = [f"{name}.jsonl" for name in LEDGERS] + [f"**/{name}.jsonl" for name in LEDGERS]
        return glob_files(settings.agentos_data_dir, [*patterns, *PROXY_LINE_PATTERNS], SKIP_DIRS)

    def document_files(self, settings: Settings) -> list[tuple[Path, str]]:
        out: dict[Path, str] = {}
        for pattern, kind in DOCUMENT_PATTERNS.items():
            for p in glob_files(settings.agentos_data_dir, [pattern], SKIP_DIRS):
                out.setdefault(p, kind)
        return sorted(out.items())

    def files(self, settings: Settings) -> list[Path]:
        if not self.enabled(settings):
            return []
        log = self.export_log(settings)
        export_documents(log, self.document_files(settings), document_ts)
        return sorted(set(self.ledger_files(settings)) | set(log.files()))
