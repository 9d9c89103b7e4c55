"""The ingest sensor turns new source bytes into one run over exactly the days they belong to."""

from __future__ import annotations

import json
import shutil

from dagster import DagsterInstance, build_sensor_context

from ccp_assets.sensors.ingest import ingest_sensor
from ccp_assets.settings_resource import SettingsResource
from tests.conftest import CLAUDE_FIXTURE

SHORT = next((CLAUDE_FIXTURE / "projects").glob("*/short.jsonl"))
MAIN = next((CLAUDE_FIXTURE / "projects").glob("*/4d5611e5-*.jsonl"))


def _tick(cursor: str | None):
    with DagsterInstance.ephemeral() as instance:
        ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"settings": SettingsResource()})
        result = ingest_sensor(ctx)
        return result, ctx.cursor


def test_new_bytes_request_their_days_and_nothing_new_skips(ccp_env):
    proj = ccp_env.projects()
    shutil.copy(SHORT, proj / SHORT.name)  # 2026-02-10
    first, cursor = _tick(None)
    assert first.partition_key == "2026-02-10"
    again, cursor = _tick(cursor)
    assert "no new source bytes" in str(again.skip_message)
    # a late-arriving line for an old day, appended to a file the sensor has already seen
    late = json.loads(SHORT.read_text().splitlines()[3])
    late["timestamp"] = "2026-02-03T10:00:00.000Z"
    with open(proj / SHORT.name, "a") as f:
        f.write(json.dumps(late) + "\n")
    shutil.copy(MAIN, proj / MAIN.name)  # and a new file for 2026-02-12
    third, _ = _tick(cursor)
    tags = third.tags
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        "2026-02-03", "2026-02-12")
