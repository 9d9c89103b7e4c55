"""The code location: every asset, check, job, schedule, sensor and resource, assembled in one place."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    Definitions,
    define_asset_job,
    in_process_executor,
)

from ccp_assets.assets.layers import rollup_and_uploads, unified_and_measurements
from ccp_assets.assets.sources import source_assets
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
    unified_and_measurements,  # unified_* and every measurement: one step (assets/layers.py says why)
    rollup_and_uploads,  # daily_summary, upload_minimized, upload_full: one step
]
# Not daily: the license as the UI shows it, and the landing zone's retention (own jobs, not in ccp_daily).
UNPARTITIONED_ASSETS = [license_state, landing_retention]

CHECKS: list = []  # the drift checks are check specs of each source's one step (assets/sources.py)

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
