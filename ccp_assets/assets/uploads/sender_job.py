"""upload_sender: the job the upload sensor launches; one op that runs `uploads.service.run_upload`.

Not in the warehouse pool on purpose: it only opens the warehouse read-only for a moment (the drift
re-check) and may spend minutes waiting on the network; holding the pool would stall materializations.
"""

from dagster import Failure, MetadataValue, Nothing, OpExecutionContext, Out, Output, job, op

from ccp_assets.licensing import clock
from ccp_assets.settings_resource import SettingsResource

UPLOAD_JOB_NAME = "upload_sender"


@op(name="drain_outbox", out=Out(Nothing),
    description="Queue rollup days not yet queued for the allowed tiers, then send the outbox's pending payloads.")
def drain_outbox(context: OpExecutionContext, settings: SettingsResource):  # noqa: ANN201
    from ccp_assets.uploads.service import run_upload

    report = run_upload(settings.get(), now=clock.now())
    for note in report.notes:
        context.log.info(note)
    for r in report.results:
        context.log.info(f"{r.outcome}: {r.label()}{f' ({r.detail})' if r.detail else ''}")
    meta = {**report.summary(), "effective_tier": report.gate.tier, "tier_reason": report.gate.tier_reason,
            "withheld": MetadataValue.json({r.label(): r.detail for r in report.with_outcome("withheld")}
                                           | report.enqueue.withheld()),
            "problems": MetadataValue.json({r.label(): r.detail for r in report.results
                                            if r.outcome in ("rejected", "failed")})}
    if not report.ok:
        raise Failure(description=f"{meta['rejected']} rejected, {meta['failed']} failed (pending ones are retried "
                                  "on the next sensor tick)", metadata=meta)
    yield Output(None, metadata=meta)


@job(name=UPLOAD_JOB_NAME, description="Drain the upload outbox to the aggregator (launched by upload_sensor).")
def upload_sender() -> None:
    drain_outbox()
