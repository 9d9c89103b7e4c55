"""license_state: the license in force as a person may read it in the UI, re-verified on every run.

Unpartitioned, no warehouse access. Materialized by the license sensor whenever a pack, the trusted keys,
the policy or the revocation list changes, or when the license or policy is about to expire. Records plan,
features, expiry, kid, the effective tier and why, the policy version and retention; never the pack, its
signature or the device hash.
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset, define_asset_job

from ccp_assets.assets.common import OWNERS
from ccp_assets.licensing import clock
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.uploads.license_watch import license_state as read_license_state

LICENSE_STATE_JOB_NAME = "license_state_job"


@asset(
    name="license_state",
    group_name="licensing",
    kinds={"python"},
    owners=OWNERS,
    description=(
        "The license in force, re-verified offline: plan, features, expiry, kid, the effective privacy tier "
        "(CCP_PRIVACY_TIER capped by the license) and why, whether uploads are allowed, the policy pack's "
        "version and retention. Never the pack or its signature. Kept fresh by the license sensor."
    ),
)
def license_state(context: AssetExecutionContext, settings: SettingsResource) -> MaterializeResult:
    state = read_license_state(settings.get(), clock.now())
    context.log.info(f"effective tier {state['effective_tier']}: {state['tier_reason']}")
    if not state["license_valid"]:
        context.log.warning(f"no valid license: {state['license_reason']}; uploads withheld")
    meta: dict = {}
    for key, value in state.items():
        meta[key] = MetadataValue.json(value) if isinstance(value, list) else value
    return MaterializeResult(metadata=meta)


license_state_job = define_asset_job(
    LICENSE_STATE_JOB_NAME,
    selection=[license_state],
    description="Re-verify the license and policy packs and record license_state (launched by license_sensor).",
)
