"""The license sensor notices a new pack and an expiring one and materializes license_state; the upload
sensor starts the sender job when there is work and the license allows it, and only then."""

from __future__ import annotations

import json

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    SkipReason,
    build_sensor_context,
)

from ccp_assets.definitions import defs
from ccp_assets.licensing import clock
from ccp_assets.sensors.license import license_sensor
from ccp_assets.sensors.uploads import upload_sensor
from ccp_assets.settings import load_settings
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.uploads.gate import Gate

from .conftest import license_env, setenv, use_home

DAY = 86400.0
T0 = 1_780_000_000.0  # 2026-05-28


@pytest.fixture
def instance():  # noqa: ANN201
    with DagsterInstance.ephemeral() as inst:
        yield inst


def _tick(sensor, instance, cursor):  # noqa: ANN001, ANN202
    ctx = build_sensor_context(instance=instance, cursor=cursor, resources={"settings": SettingsResource()})
    result = sensor(ctx)
    return result, ctx.cursor


def _license_state(instance, tags=None) -> dict:  # noqa: ANN001
    result = defs.get_job_def("license_state_job").execute_in_process(instance=instance, tags=tags or {})
    assert result.success
    (mat,) = result.asset_materializations_for_node("license_state")
    return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}


def test_sensors_and_schedules_are_on_by_default():
    assert defs.get_sensor_def("upload_sensor").default_status == DefaultSensorStatus.RUNNING
    assert defs.get_sensor_def("license_sensor").default_status == DefaultSensorStatus.RUNNING
    assert defs.get_schedule_def("landing_retention_nightly").default_status == DefaultScheduleStatus.RUNNING
    assert defs.get_sensor_def("upload_sensor").job_name == "upload_sender"
    assert defs.get_sensor_def("license_sensor").job_name == "license_state_job"


def test_license_sensor_notices_a_new_pack_and_records_the_state_without_the_signature(ccp_env, monkeypatch,
                                                                                       operator, instance):
    pack_path = ccp_env.tmp / "license.pack"
    setenv(ccp_env, monkeypatch, CCP_PRIVACY_TIER="minimized", CCP_LICENSE_PACK=str(pack_path),
           CCP_TRUSTED_KEYS=str(operator.keys_file))
    first, cursor = _tick(license_sensor, instance, None)
    assert isinstance(first, RunRequest) and first.tags["ccp/effective_tier"] == "local"
    assert isinstance(_tick(license_sensor, instance, cursor)[0], SkipReason)
    assert _license_state(instance)["uploads_allowed"] is False

    operator.write_pack(pack_path, ["telemetry_minimized"])  # a pack arrives
    new, cursor = _tick(license_sensor, instance, cursor)
    assert isinstance(new, RunRequest)
    change = new.tags["ccp/license_change"]
    assert "license_pack file changed" in change and "license became valid" in change
    assert "effective tier local -> minimized" in change
    state = _license_state(instance, new.tags)
    assert state["plan"] == "pro" and state["features"] == ["telemetry_minimized"] and state["kid"] == operator.kid
    assert state["effective_tier"] == "minimized" and state["uploads_allowed"] and not state["full_uploads_allowed"]
    assert state["days_to_expiry"] in (29, 30)
    pack = json.loads(pack_path.read_text())
    shown = json.dumps(state)
    assert pack["signature"] not in shown and pack["signature"][:16] not in shown and '"license":' not in shown
    assert isinstance(_tick(license_sensor, instance, cursor)[0], SkipReason)


def test_license_sensor_notices_an_expiring_pack_and_uploads_stop_when_it_lapses(ccp_env, monkeypatch, operator,
                                                                                  instance):
    now = {"t": T0 + 3600}
    monkeypatch.setattr(clock, "now", lambda: now["t"])
    license_env(ccp_env, monkeypatch, operator, "minimized", ["telemetry_minimized"], days=20, now=T0,
                url="http://127.0.0.1:9")
    first, cursor = _tick(license_sensor, instance, None)
    assert isinstance(first, RunRequest) and "ccp/license_expiring_in_days" not in first.tags  # 19 days left
    assert isinstance(_tick(license_sensor, instance, cursor)[0], SkipReason)

    now["t"] = T0 + 7 * DAY + 60  # 12 days 23 h left: inside the 14-day warning window
    warn, cursor = _tick(license_sensor, instance, cursor)
    assert isinstance(warn, RunRequest) and warn.tags["ccp/license_expiring_in_days"] == "12"
    assert "license expires in 12 day(s)" in warn.tags["ccp/license_change"]
    assert isinstance(_tick(license_sensor, instance, cursor)[0], SkipReason)  # same day: nothing new
    now["t"] += DAY
    nxt, cursor = _tick(license_sensor, instance, cursor)
    assert isinstance(nxt, RunRequest) and nxt.tags["ccp/license_expiring_in_days"] == "11"

    now["t"] = T0 + 20 * DAY + 60  # expired
    lapsed, cursor = _tick(license_sensor, instance, cursor)
    assert isinstance(lapsed, RunRequest) and "license no longer valid" in lapsed.tags["ccp/license_change"]
    state = _license_state(instance, lapsed.tags)
    assert state["license_valid"] is False and "expired" in state["license_reason"]
    assert state["effective_tier"] == "local" and state["uploads_allowed"] is False
    gate = Gate.load(load_settings(), clock.now())
    assert gate.withheld_reason("minimized").startswith("license: ") and "expired" in gate.withheld_reason("minimized")
    skip, _ = _tick(upload_sensor, instance, None)
    assert isinstance(skip, SkipReason) and "local tier" in skip.skip_message


def test_upload_sensor_starts_the_sender_job_which_drains_the_outbox(fixture_home, ccp_env, monkeypatch, operator,
                                                                    aggregator, instance):
    agg = aggregator()
    use_home(fixture_home, ccp_env)
    setenv(ccp_env, monkeypatch, CCP_PRIVACY_TIER="local")
    skip, _ = _tick(upload_sensor, instance, None)
    assert isinstance(skip, SkipReason) and "local tier" in skip.skip_message

    license_env(ccp_env, monkeypatch, operator, "minimized", ["telemetry_minimized"])
    skip, _ = _tick(upload_sensor, instance, None)
    assert isinstance(skip, SkipReason) and "CCP_AGGREGATOR_URL" in skip.skip_message

    setenv(ccp_env, monkeypatch, CCP_AGGREGATOR_URL=agg.url)
    request, cursor = _tick(upload_sensor, instance, None)
    assert isinstance(request, RunRequest) and request.tags["ccp/new_rollup_days"] == "2"
    again, _ = _tick(upload_sensor, instance, cursor)
    assert isinstance(again, SkipReason) and "already launched" in again.skip_message

    run = defs.get_job_def("upload_sender").execute_in_process(instance=instance, tags=request.tags)
    assert run.success
    assert agg.counts()["metrics"] == 2
    done, _ = _tick(upload_sensor, instance, cursor)
    assert isinstance(done, SkipReason) and "outbox empty" in done.skip_message


def test_sender_job_fails_visibly_when_the_aggregator_is_unreachable(fixture_home, ccp_env, monkeypatch, operator,
                                                                    instance):
    import stamina

    use_home(fixture_home, ccp_env)
    license_env(ccp_env, monkeypatch, operator, "minimized", ["telemetry_minimized"], url="http://127.0.0.1:9")
    with stamina.set_testing(True, attempts=2):  # no real backoff: the port is closed for good
        run = defs.get_job_def("upload_sender").execute_in_process(instance=instance, raise_on_error=False)
    assert not run.success
    from ccp_assets.uploads.outbox import Outbox

    with Outbox.open(load_settings()) as box:
        assert box.counts()["pending"] == 2 and "unreachable" in box.pending()[0].last_error


def test_only_license_state_and_retention_are_outside_the_daily_graph():
    graph = defs.resolve_asset_graph()
    not_daily = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()
                 if graph.get(k).is_materializable and graph.get(k).partitions_def is None}
    assert set(not_daily) == {"license_state", "landing_retention"}
    assert not_daily["license_state"].group_name == "licensing" and not not_daily["license_state"].pools
    assert not_daily["landing_retention"].pools == {"duckdb_warehouse"}  # never deletes under a running step
    assert all(n.description and n.owners for n in not_daily.values())
    for name in ("upload_minimized", "upload_full"):
        node = graph.get(AssetKey(name))
        assert node.group_name == "uploads" and {k.to_user_string() for k in node.parent_keys} == {
            "daily_summary", "unified_sessions"}  # what their payloads read (test_upl_order.py)
    assert {"upload_minimized", "upload_full"} <= {k.to_user_string() for k in
                                                   defs.get_job_def("ccp_daily").asset_layer.selected_asset_keys}
