"""raw_ccc_events: new lines of the AgentOS CCC client's unified event log landed per event day."""

from ccp_assets.assets.sources import raw_landing_asset
from ccp_assets.sources.ccc.adapter import CccEventsSource

raw_ccc_events = raw_landing_asset(
    "raw_ccc_events",
    CccEventsSource(),
    description=(
        "The CCC client's unified event log (ccc_events*.jsonl under CCP_AGENTOS_DATA_DIR, any depth: "
        "session / turn / session_end lines with v1 payloads) landed under the day of each line's time in "
        "$CCP_HOME/landing/ccc_events, with file, byte offset and line number. Only new bytes are read."
    ),
)
