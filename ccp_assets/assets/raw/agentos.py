"""raw_agentos: new AgentOS ledger lines (and exported JSON captures) landed per event day."""

from ccp_assets.assets.sources import raw_landing_asset
from ccp_assets.sources.agentos.adapter import AgentOsSource

raw_agentos = raw_landing_asset(
    "raw_agentos",
    AgentOsSource(),
    description=(
        "AgentOS tracker ledgers under CCP_AGENTOS_DATA_DIR, at the root or in any subfolder (windows, "
        "glm_counts, churn, snapshots, codex_ccusage, proxy_telemetry, claude_monitor .jsonl, plus old-style "
        "proxy samples), landed under the day of finalized_at / captured_at in $CCP_HOME/landing/agentos. "
        "Whole-JSON captures (ccusage/, glm/, ccc/ usage files) are exported one line per version and land "
        "with them. Only new bytes are read."
    ),
)
