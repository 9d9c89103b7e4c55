"""run_guard: which runs are dead, and the sensors' recovery hook (issue 14 item 1, "and the sensors' runs").

Every "dead" run here belonged to a real process that was really killed (SIGKILL); every "live" one to a
process that is still running. Nothing is mocked but the identity of a pid reused by another process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from dagster import DagsterInstance, DagsterRunStatus, build_sensor_context

from ccp_assets import run_guard
from ccp_assets.settings_resource import SettingsResource

POOL = "duckdb_warehouse"

# A process that records a STARTED run the way a run worker does (tags, or Dagster's pid engine event),
# claims the warehouse slot for it, prints the run id and sleeps until killed.
WORKER = textwrap.dedent("""
    import sys, time, uuid
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
    from dagster._core.events import EngineEventData
    from ccp_assets import run_guard
    style, job = sys.argv[1], sys.argv[2]
    with DagsterInstance.get() as inst:
        run_id = str(uuid.uuid4())
        tags = run_guard.process_tags() if style == "tags" else run_guard.host_tags()
        run = DagsterRun(job_name=job, run_id=run_id, status=DagsterRunStatus.STARTED,
                         tags={"ccp/launched_by": style, **tags})
        inst.add_run(run)
        if style == "engine-event":  # what a daemon-launched run worker logs first
            inst.report_engine_event("Started process for run", run, EngineEventData.in_process(__import__("os").getpid()))
        inst.event_log_storage.initialize_concurrency_limit_to_default("duckdb_warehouse")
        inst.event_log_storage.claim_concurrency_slot("duckdb_warehouse", run_id, "step")
        print(run_id, flush=True)
        time.sleep(900)
""")


def _worker(env: dict[str, str], style: str, job: str = "ccp_daily") -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", WORKER, style, job], env=env, stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().strip()


def _kill(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait()


@pytest.fixture
def instance(ccp_env):
    with DagsterInstance.get() as inst:
        yield inst


@pytest.mark.parametrize("style", ["tags", "engine-event"])
def test_a_killed_worker_is_recovered_by_the_ingest_sensor_and_a_live_one_is_not(style, ccp_env, instance):
    from ccp_assets.sensors.ingest import ingest_sensor

    live, live_id = _worker(ccp_env.env, style, job="landing_retention")
    dead, dead_id = _worker(ccp_env.env, style)  # waits for the slot: queued behind the live one
    try:
        assert [d[:12] for d in run_guard.in_progress(instance, "ccp_daily")] == [f"run {dead_id[:8]}"]
        _kill(dead)
        ingest_sensor(build_sensor_context(instance=instance, resources={"settings": SettingsResource()}))
        assert instance.get_run_by_id(dead_id).status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(live_id).status == DagsterRunStatus.STARTED
        info = instance.event_log_storage.get_concurrency_info(POOL)
        assert {s.run_id for s in info.claimed_slots} == {live_id}
        assert all(p.run_id != dead_id for p in info.pending_steps)  # its queued claim is gone too
        assert run_guard.in_progress(instance, "ccp_daily") == []
        events = instance.all_logs(dead_id)
        assert any("is gone" in (e.message or "") for e in events)
    finally:
        _kill(live)


def test_the_upload_sensor_recovers_too_and_requests_carry_the_host(ccp_env, instance):
    from ccp_assets.sensors.ingest import ingest_sensor

    dead, dead_id = _worker(ccp_env.env, "tags", job="upload_sender")
    _kill(dead)
    assert run_guard.recover(instance) and instance.get_run_by_id(dead_id).status == DagsterRunStatus.FAILURE
    (ccp_env.projects() / "s.jsonl").write_text(
        '{"type":"user","timestamp":"2026-02-10T10:00:00Z","sessionId":"s","message":{"content":"hi"}}\n')
    req = ingest_sensor(build_sensor_context(instance=instance, resources={"settings": SettingsResource()}))
    assert req.tags[run_guard.HOST_TAG]


def test_a_reused_pid_does_not_keep_a_dead_run_alive(instance):
    me = run_guard.process_tags()
    assert not run_guard.is_gone(instance, run_guard.Worker(me["ccp/host"], int(me["ccp/pid"]),
                                                            float(me["ccp/pid_started"])))
    # the same pid, recorded as started an hour before this process: another process had that pid
    reused = run_guard.Worker(me["ccp/host"], int(me["ccp/pid"]), float(me["ccp/pid_started"]) - 3600)
    assert run_guard.is_gone(instance, reused)
    # another host's pid says nothing about this machine's processes
    assert not run_guard.is_gone(instance, run_guard.Worker("elsewhere", 1 << 22, None))
    # a pid known only from Dagster's engine event: alive while its process started before the event...
    started = float(me["ccp/pid_started"])
    assert not run_guard.is_gone(instance, run_guard.Worker(me["ccp/host"], int(me["ccp/pid"]), None, started + 30))
    # ... and another process's once the pid's process started after the event was logged
    assert run_guard.is_gone(instance, run_guard.Worker(me["ccp/host"], int(me["ccp/pid"]), None, started - 3600))


def test_a_finished_run_still_holding_a_slot_is_freed_once_its_process_is_gone(ccp_env, instance):
    proc, run_id = _worker(ccp_env.env, "tags", job="landing_retention")
    instance.report_run_failed(instance.get_run_by_id(run_id), message="failed (test)")
    assert run_id in instance.event_log_storage.get_concurrency_run_ids()  # Dagster keeps the slot
    run_guard.recover(instance)
    assert run_id in instance.event_log_storage.get_concurrency_run_ids()  # alive: within the grace
    _kill(proc)
    assert any("freed the warehouse slot" in line for line in run_guard.recover(instance))
    assert run_id not in instance.event_log_storage.get_concurrency_run_ids()
