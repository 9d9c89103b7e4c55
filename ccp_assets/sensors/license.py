"""license_sensor: notice a changed or expiring license/policy, re-verify, materialize license_state.

Cursor = `uploads.license_watch.fingerprint`: digests of the license pack, its last-known-good copy, the
trusted keys, the cached policy pack and revocation list, plus the effective tier and the days left before
the license or policy expires (once within 14 days). Any difference starts `license_state_job`. Because the
upload assets and the sender read the license at run time, a license that stops allowing uploads withholds
them from the next run on; the sensor makes the change visible in the UI.
"""

import hashlib
import json

from dagster import RunRequest, SensorEvaluationContext, SkipReason

from ccp_assets import run_guard
from ccp_assets.assets.uploads.licensing import license_state_job
from ccp_assets.licensing import clock
from ccp_assets.sensors import every_minute
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.uploads.license_watch import changes, fingerprint


@every_minute("license_sensor", job=license_state_job, description=(
    "Watches the license pack, trusted keys, policy pack and revocation list (and the days to expiry); on any "
    "change re-verifies and materializes license_state."))
def license_sensor(context: SensorEvaluationContext, settings: SettingsResource):  # noqa: ANN201
    now = clock.now()
    state = fingerprint(settings.get(), now)
    before = json.loads(context.cursor) if context.cursor else None
    if before == state:
        return SkipReason("license, keys and policy unchanged")
    what = changes(before, state)
    context.update_cursor(json.dumps(state, sort_keys=True))
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]
    tags = {"ccp/launched_by": "license_sensor", **run_guard.host_tags(), "ccp/license_change": "; ".join(what)[:250],
            "ccp/effective_tier": state["tier"]}
    if state["license_expiring_in_days"] is not None:
        tags["ccp/license_expiring_in_days"] = str(state["license_expiring_in_days"])
    return RunRequest(run_key=f"license-{digest}-{int(now)}", tags=tags)
