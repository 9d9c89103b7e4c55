"""Keys and enums of the warehouse tables that their models cannot say by themselves.

Part of the contract (model/contract.py): the GX suites (checks/suites.py) expect them, and Dagster's column
constraints (`table_schema`) show them. The models allow None for v1 compatibility, so these say which
columns must still be filled, which are unique, and which rows the history-derived rule leaves alone.
"""

from __future__ import annotations

from typing import Any

# Keys and enums the models cannot say by themselves (the models allow None for v1 compatibility).
# `by_source` rules apply to one source's rows only (a proxy error turn has no tokens; a transcript turn must).
TABLE_RULES: dict[str, dict[str, Any]] = {
    "turns": {"not_null": ["turn_id", "source", "day", "ts"], "unique": ["turn_id"], "null": ["type_drift"],
              "by_source": {
                  # `history_exempt`: rows the history-derived not-null rule skips. A synthetic message
                  # (Claude Code's local placeholder: no API call) has no request id or service tier by
                  # nature; ccusage counts it, so do we, and its nulls say nothing about drift.
                  # `model` only where the line names its client `version`: ccusage counts a usage line
                  # without a model (in the day total, no model row, issue 13) and skips `"model": null`
                  # (quarantined), so a model-less row is the old version-less schema; a versioned line
                  # without one is a client that renamed or dropped the field: drift. A model-less row
                  # leaves the history rule too.
                  "claude_code": {"not_null": ["tokens_in", "tokens_out"],
                                  "not_null_where": {"model": "version.notna()"},
                                  "history_exempt": {"model": ["<synthetic>", None]},
                                  "in_set": {"provider": ["anthropic", "zai", "openai", "unknown"],
                                             "service_tier": ["standard", "priority", "batch"]}},
                  "ccp_proxy": {"not_null": ["lane"]},
                  "ccc": {"not_null": ["session_id"]}}},
    # sessions are session x day rows: unique per day, and a batch judges several days at once
    "sessions": {"not_null": ["session_id", "source", "day"], "unique_together": [["session_id", "day"]]},
    "routing_decisions": {"not_null": ["day", "ts"], "null": ["type_drift"]},
    # `optional`: columns the history-derived not-null rule skips. A GLM window is counted in prompts
    # (glm_counts.jsonl), so it has no 5-hour/weekly bar and often no commit range: those columns are null
    # by design on some days, never "a null share jumping". `methodology` and `commit_range` may come from the
    # window's churn record, which is written after the window (the newest days have none yet).
    "windows": {"not_null": ["window", "finalized_at", "day"],
                "optional": ["capacity_5h_delta", "capacity_weekly_delta", "commit_range", "methodology", "capacity_raw",
                             "before", "after", "delta", "captured_before", "captured_after"]},
    "features": {"not_null": ["feature_id", "spec_ref", "status"]},
    "commits": {"not_null": ["sha", "day"], "unique": ["sha"]},
}
