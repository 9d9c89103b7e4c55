"""CCP routing proxy: `usage*.jsonl` logs (anywhere under CCP_USAGE_LOG_DIR) and `results/METRICS*.json`.

The usage log is JSONL and lands as is. The METRICS summaries are whole (pretty-printed) JSON documents:
each new version is exported as one line to `$CCP_HOME/exports/ccp_proxy/summaries.jsonl` (see
sources/exports.py) with its `date` as event time (noon of that day in CCP_TIMEZONE), and lands with
the logs. They are a backfill input for days that have no raw log (`proxy_daily_summaries.backfill`).
"""

from __future__ import annotations

from pathlib import Path

from ccp_assets.settings import Settings
from ccp_assets.sources.base import iso_or_epoch
from ccp_assets.sources.exports import ExportLog, export_dir, export_documents, glob_files, local_noon

LOG_PATTERNS = ("usage*.jsonl", "**/usage*.jsonl")
SUMMARY_PATTERNS = ("results/METRICS*.json", "**/METRICS*.json")


class CcpProxySource:
    """Usage logs plus the export log of METRICS summaries."""

    name = "ccp_proxy"
    event_time_sql = iso_or_epoch("ts")

    def enabled(self, settings: Settings) -> bool:
        return settings.usage_log_dir is not None and settings.usage_log_dir.is_dir()

    def export_log(self, settings: Settings) -> ExportLog:
        return ExportLog(export_dir(settings, self.name) / "summaries.jsonl")

    def log_files(self, settings: Settings) -> list[Path]:
        return glob_files(settings.usage_log_dir, LOG_PATTERNS)

    def summary_files(self, settings: Settings) -> list[Path]:
        return glob_files(settings.usage_log_dir, SUMMARY_PATTERNS)

    def files(self, settings: Settings) -> list[Path]:
        if not self.enabled(settings):
            return []
        log = self.export_log(settings)
        tz = settings.timezone

        def event_ts(doc: object, path: Path, mtime: float) -> str | None:
            day = doc.get("date") if isinstance(doc, dict) else None
            return local_noon(day, tz) if isinstance(day, str) else None

        export_documents(log, [(p, "metrics_summary") for p in self.summary_files(settings)], event_ts)
        return sorted(set(self.log_files(settings)) | set(log.files()))
