"""unified_turns: Claude Code turns joined with the proxy calls that answered them."""

from dagster import MaterializeResult

from ccp_assets.assets.common import partition_days, per_partition
from ccp_assets.assets.fat_step import AssetView, SharedWarehouse, daily_part
from ccp_assets.assets.glossary import glossary
from ccp_assets.assets.sources import normalized_of
from ccp_assets.sources.registry import by_calls
from ccp_assets.sources.unified import MATCH_WINDOW_S, Roles, build_day


def _roles() -> Roles:
    """Which registered source plays which part (sources/protocol.py: Source.calls); one transcript, one proxy."""
    (transcript,), (proxy,) = by_calls("transcript"), by_calls("proxy")
    return Roles(transcript.rows_source, proxy.rows_source, tuple(s.rows_source for s in by_calls("own")))


ROLES = _roles()


@daily_part(
    name="unified_turns",
    table="unified_turns",
    group="unified",
    deps=normalized_of("transcript", "proxy", "own"),
    description=(
        "One row per answered model call across sources (table `unified_turns`): a Claude Code turn joined "
        "with the CCP proxy completion of the same request (request id when present, else a compatible model "
        f"within the proxy call's span +-{MATCH_WINDOW_S:g} s, one-to-one, best pair first), attributed to the "
        "provider and model the proxy really used (`provider`, `routed_model`) even when the transcript echoes a "
        "Claude model name; unmatched turns and proxy-only calls are rows of their own."
        + glossary("turns")
    ),
)
def unified_turns(context: AssetView, warehouse: SharedWarehouse) -> MaterializeResult:
    with warehouse.connect() as conn:
        results = [build_day(conn, day, ROLES) for day in partition_days(context)]
    return per_partition(context, {r.day: {
        "rows": r.rows,
        "claude_code_turns": r.claude_code,
        "proxy_only_calls": r.proxy_only,
        "matched_by_request_id": r.matched_by_request_id,
        "matched_by_time_window": r.matched_by_time,
        "rerouted_turns": r.rerouted,
        "quarantined": 0,
        **{f"{src}_calls": n for src, n in r.own_calls.items()},
    } for r in results})
