"""upload_sensor: start `upload_sender` when there is something to send and the license allows it.

Launches when the outbox has pending payloads or rollup days exist that have no payload yet for an allowed
tier, the effective tier is not local and an aggregator is configured, and no sender run is already queued
or running. The cursor remembers what it launched for (a digest of the pending keys and missing days) and
when: the same state is launched again only after RETRY_S (to retry failed sends), a new state at once.
In the local tier it only ever says why it skips: it opens no socket and creates nothing.
"""

import hashlib
import json

from dagster import (
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
)

from ccp_assets import run_guard
from ccp_assets.assets.uploads.sender_job import upload_sender
from ccp_assets.licensing import clock
from ccp_assets.privacy.tiers import PAYLOAD_TIERS
from ccp_assets.sensors import every_minute
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.uploads.enqueue import KIND_OF, rollup_days
from ccp_assets.uploads.gate import Gate
from ccp_assets.uploads.outbox import Outbox

RETRY_S = 900
ACTIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
          DagsterRunStatus.STARTED]


def upload_work(settings, gate: Gate) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """(pending payload keys, 'tier:day' rollup days without a payload for an allowed tier)."""
    box = Outbox.existing(settings)
    days = rollup_days(settings)
    tiers = [t for t in PAYLOAD_TIERS if gate.allows(t)]
    if box is None:
        return [], [f"{t}:{d}" for t in tiers for d in days]
    with box:
        pending = box.pending_keys()
        have = {t: box.days_with(t, KIND_OF[t]) for t in tiers}
    missing = [f"{t}:{d}" for t in tiers for d in days if d not in have[t]]
    return pending, missing


@every_minute("upload_sensor", job=upload_sender, description=(
    "Starts upload_sender when the outbox has pending payloads or new rollups exist, the effective tier "
    "(license-capped) allows uploads and CCP_AGGREGATOR_URL is set."))
def upload_sensor(context: SensorEvaluationContext, settings: SettingsResource):  # noqa: ANN201
    config = settings.get()
    now = clock.now()
    gate = Gate.load(config, now)
    if not gate.sends_anything:
        return SkipReason(f"nothing is ever sent in the local tier ({gate.tier_reason})")
    if not gate.aggregator_url:
        return SkipReason("CCP_AGGREGATOR_URL is unset: no uploads possible")
    pending, missing = upload_work(config, gate)
    if not pending and not missing:
        return SkipReason("outbox empty and every rollup day queued")
    digest = hashlib.sha256(json.dumps([pending, missing]).encode()).hexdigest()[:20]
    cursor = json.loads(context.cursor) if context.cursor else {}
    if cursor.get("digest") == digest and (not pending or now - float(cursor.get("at", 0)) < RETRY_S):
        return SkipReason(f"already launched for this outbox state ({len(pending)} pending); "
                          f"retry after {RETRY_S} s")
    for line in run_guard.recover(context.instance):  # a killed sender must not block the next one
        context.log.warning(line)
    active = context.instance.get_runs(filters=RunsFilter(job_name=upload_sender.name, statuses=ACTIVE), limit=1)
    if active:
        return SkipReason(f"an upload_sender run is already in progress ({active[0].run_id[:8]})")
    context.update_cursor(json.dumps({"digest": digest, "at": now}))
    return RunRequest(run_key=f"upload-{digest}-{int(now)}",
                      tags={"ccp/launched_by": "upload_sensor", **run_guard.host_tags(), "ccp/pending": str(len(pending)),
                            "ccp/new_rollup_days": str(len(missing))})
