"""raw_ccp_proxy: new CCP proxy usage-log bytes and METRICS summaries landed per event day."""

from ccp_assets.assets.sources import raw_landing_asset
from ccp_assets.sources.ccp_proxy.adapter import CcpProxySource

raw_ccp_proxy = raw_landing_asset(
    "raw_ccp_proxy",
    CcpProxySource(),
    description=(
        "CCP routing-proxy usage lines (CCP_USAGE_LOG_DIR: usage*.jsonl at any depth; glued `{...}{...}` "
        "lines split, legacy ISO `ts` accepted) landed under the day of their `ts` in "
        "$CCP_HOME/landing/ccp_proxy with file, byte offset and line number. New versions of "
        "results/METRICS*.json summaries are exported as one line each and land with them (event day = "
        "the summary's date). Only new bytes are read; landed data survives the proxy rotating its logs."
    ),
)
