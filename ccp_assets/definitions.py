"""The code location: every asset, check, job, schedule, sensor and resource, assembled in one place."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    Definitions,
    define_asset_job,
    in_process_executor,
)

from ccp_assets.assets.measurements.churn import churn_daily
from ccp_assets.assets.measurements.cls import cls_features
from ccp_assets.assets.measurements.cost import usage_cost
from ccp_assets.assets.measurements.efficiency import efficiency_daily
from ccp_assets.assets.measurements.entity import measurements
from ccp_assets.assets.measurements.features import features_daily
from ccp_assets.assets.measurements.interaction import interaction_daily
from ccp_assets.assets.measurements.mix import model_mix_daily, policy_findings, routing_daily
from ccp_assets.assets.rollups.daily import daily_summary
from ccp_assets.assets.sources import source_assets, source_checks
from ccp_assets.assets.unified.sessions import unified_sessions
from ccp_assets.assets.unified.turns import unified_turns
from ccp_assets.assets.uploads.daily import upload_full, upload_minimized
from ccp_assets.assets.uploads.licensing import license_state, license_state_job
from ccp_assets.assets.uploads.retention import landing_retention, landing_retention_job, retention_schedule
from ccp_assets.assets.uploads.sender_job import upload_sender
from ccp_assets.jobs import DAILY_JOB_NAME
from ccp_assets.partitions import DAILY
from ccp_assets.schedules import nightly_rollup
from ccp_assets.sensors.ingest import ingest_sensor
from ccp_assets.sensors.license import license_sensor
from ccp_assets.sensors.uploads import upload_sensor
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.warehouse.resource import WarehouseResource

ASSETS = [
    *source_assets(),  # raw_<name>, normalized_<name> of every registered source (sources/registry.py)
    unified_turns, unified_sessions,
    usage_cost, features_daily, churn_daily, efficiency_daily, interaction_daily, cls_features,
    model_mix_daily, routing_daily, policy_findings, measurements,
    daily_summary,
    upload_minimized, upload_full,
]
# Not daily: the license as the UI shows it, and the landing zone's retention (own jobs, not in ccp_daily).
UNPARTITIONED_ASSETS = [license_state, landing_retention]

CHECKS = source_checks()

ccp_daily_job = define_asset_job(
    DAILY_JOB_NAME,
    selection=AssetSelection.assets(*ASSETS),
    partitions_def=DAILY,
    description="Every layer for one day (or a range, as one run): raw -> normalized -> measurements -> rollups.",
)



def build_definitions() -> Definitions:
    return Definitions(
        assets=[*ASSETS, *UNPARTITIONED_ASSETS],
        asset_checks=CHECKS,
        jobs=[ccp_daily_job, upload_sender, license_state_job, landing_retention_job],
        schedules=[nightly_rollup, retention_schedule],
        sensors=[ingest_sensor, upload_sensor, license_sensor],
        # database "" = $CCP_HOME/warehouse.duckdb, resolved per run (see WarehouseResource).
        resources={"warehouse": WarehouseResource(database="", connection_config={"threads": 2}), "settings": SettingsResource()},
        executor=in_process_executor,
    )


defs = build_definitions()
