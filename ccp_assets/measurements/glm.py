"""GLM prompts used per day (METRICS.md "Capacity unit"): the one definition every measurement reads.

Two inputs, never counted twice:
- a current AgentOS window with a GLM block: its `capacity_raw` (the window's own `prompts_used`, else
  the latest glm_counts capture of that window, see sources/agentos/windows.py);
- every current `glm_counts.jsonl` ledger line whose window has no GLM block in `windows.jsonl`: its
  `prompts_used` on the day of its `captured_at`. The real tracker never writes a GLM block (the
  fixture's 2025-10-18 line holds 118 prompts that a windows-only reading loses).
Exported ccusage GLM documents (origin `ccusage_doc`) are block listings, not ledger lines: not counted.
"""

from __future__ import annotations

GLM_PROMPTS_SQL = """
SELECT "window", capacity_raw AS prompts, features, quality_score, quality_source, finalized_at AS at_ts,
       'windows' AS basis
FROM windows
WHERE source = 'agentos' AND day = $day AND NOT superseded AND provider = 'glm' AND capacity_unit = 'prompts'
  AND capacity_raw IS NOT NULL
UNION ALL
SELECT g."window", g.prompts_used, NULL, NULL, NULL, g.captured_at, 'glm_counts'
FROM glm_counts g
WHERE g.source = 'agentos' AND g.day = $day AND NOT g.superseded AND g.prompts_used IS NOT NULL
  AND g.origin IS DISTINCT FROM 'ccusage_doc'
  AND NOT EXISTS (SELECT 1 FROM windows w WHERE w.source = 'agentos' AND NOT w.superseded AND w.provider = 'glm'
                  AND w."window" = g."window")
"""
"""Columns: window, prompts, features (windows only), quality_score, quality_source, at_ts, basis."""


def glm_ledger_sql() -> str:
    """The ledger-only part: GLM prompts of glm_counts lines without a GLM window block ($day)."""
    return f"SELECT * FROM ({GLM_PROMPTS_SQL}) WHERE basis = 'glm_counts'"
