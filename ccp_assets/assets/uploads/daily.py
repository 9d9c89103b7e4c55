"""upload_minimized and upload_full: queue each day's payload in the outbox when the tier allows it.

They never send anything themselves (the upload sensor's job and `ccp upload` drain the outbox), so a run
never waits on the network. A day is queued only when the effective tier (license-capped) allows the
payload's tier and the day's latest blocking drift check passed; otherwise the metadata says why it was
withheld (tier, license, failed check). Payload keys derive from content: re-materializing an unchanged
day queues nothing new.

Both wait for what their payloads read: `daily_summary` (the minimized payload is its file; through it every
normalized source's turns and sessions) and `unified_sessions` (the full payload's session rows carry the repository,
commit, license and tier it fills), so a run never queues a day before its sessions are complete.
"""

from dagster import MaterializeResult, MetadataValue

from ccp_assets.assets.common import partition_days, per_partition, usable_days
from ccp_assets.assets.fat_step import AssetView, Part, SharedWarehouse, daily_part
from ccp_assets.licensing import clock
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.uploads.enqueue import Enqueuer
from ccp_assets.uploads.gate import Gate
from ccp_assets.uploads.outbox import outbox_path

UPLOAD_DEPS = ["daily_summary", "unified_sessions"]


def _day_metadata(day: str, outcomes: list) -> dict:
    """One day's own outcome (the list-valued keys keep their shape: this day or nothing)."""
    def having(status: str) -> list[str]:
        return [day] if any(o.status == status for o in outcomes) else []

    return {
        "queued_payloads": sum(o.added for o in outcomes),
        "queued_days": MetadataValue.json(having("queued")),
        "unchanged_days": MetadataValue.json(having("unchanged")),
        "superseded_payloads": sum(o.superseded for o in outcomes),
        "items": sum(o.items for o in outcomes),
        "withheld": MetadataValue.json({o.day: o.reason for o in outcomes if o.status == "withheld"}),
        "no_data_days": MetadataValue.json(having("no data")),
    }


def _upload_asset(name: str, tier: str, description: str, kinds: set[str]) -> Part:
    @daily_part(name=name, group="uploads", kinds=kinds, deps=UPLOAD_DEPS, description=description)
    def _upload(context: AssetView, warehouse: SharedWarehouse, settings: SettingsResource) -> MaterializeResult:
        config = settings.get()
        gate = Gate.load(config, clock.now())
        days = partition_days(context)
        meta: dict = {"effective_tier": gate.tier, "tier_reason": gate.tier_reason,
                      "aggregator_configured": bool(gate.aggregator_url)}
        why = gate.withheld_reason(tier)
        if why:  # nothing to build, nothing to queue: not even the outbox file is created
            context.log.info(f"{tier} uploads withheld for {len(days)} day(s): {why}")
            return per_partition(context, {d: {"queued_payloads": 0, "withheld": MetadataValue.json({d: why})}
                                           for d in days}, shared=meta)
        enq = Enqueuer(config, gate)
        try:
            with warehouse.connect() as conn:
                usable, blocked = usable_days(context, conn)
                for day, checks in blocked.items():
                    enq.withhold(day, tier, "failed check: " + "; ".join(checks))
                for day in usable:
                    enq.minimized(day) if tier == "minimized" else enq.full(day, conn)
            counts = enq.outbox.counts() if enq.report.added else None
        finally:
            enq.close()
        rep = enq.report
        for o in rep.outcomes:
            context.log.info(f"{o.day} {o.tier}: {o.status}{f' ({o.reason})' if o.reason else ''}"
                             f"{f', {o.added} new payload(s)' if o.added else ''}")
        meta["outbox"] = MetadataValue.path(str(outbox_path(config)))
        if counts is not None:
            meta["outbox_pending"] = counts["pending"]
        return per_partition(context, {d: _day_metadata(d, [o for o in rep.outcomes if o.day == d]) for d in days},
                             shared=meta)

    return _upload


upload_minimized = _upload_asset(
    "upload_minimized", "minimized",
    "Queues the day's minimized summary (docs/METRICS.md's starred fields of metrics_summary.json: numbers and fixed "
    "vocabularies only, identifiers as keyed hashes) in $CCP_HOME/outbox.sqlite when the effective tier is "
    "minimized or full and the day's drift checks passed; else records why it is withheld. Sending is the "
    "upload sensor's job (or `ccp upload`).",
    {"sqlite", "json"},
)

upload_full = _upload_asset(
    "upload_full", "full",
    "Queues the day's enriched events (turns and sessions of every source, Claude Code prompts and tool "
    "results) in $CCP_HOME/outbox.sqlite when the effective tier is full and the day's drift checks passed: "
    "identifiers as keyed hashes, prompts redacted (high-risk spans dropped whole), content as keyed hashes "
    "and lengths, batches under the size limits; only new or changed events are queued.",
    {"sqlite", "duckdb"},
)
