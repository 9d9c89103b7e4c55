"""Issue 16: `ccp materialize` opens the Dagster instance while it lands only when the instance provably has
nothing for `recover` or `in_progress` to act on (run_guard.nothing_to_recover, read from the SQLite files
without Dagster); anything else keeps the full preflight before landing.

Each case builds the state through Dagster's own API on a real instance, and the answer is checked against
what `recover` and `in_progress` (the real preflight) see in the same instance.
"""

from __future__ import annotations

import uuid

from ccp_assets import run_guard
from ccp_assets.jobs import DAILY_JOB_NAME

POOL = "duckdb_warehouse"


def _preflight_sees_something(inst) -> bool:  # noqa: ANN001
    return bool(run_guard.in_progress(inst, DAILY_JOB_NAME)) or bool(inst.event_log_storage.get_concurrency_run_ids()) \
        or any(True for _ in inst.get_run_records(limit=1, filters=_active()))


def _active():  # noqa: ANN202
    from dagster import RunsFilter

    return RunsFilter(statuses=run_guard._active_statuses())


def test_a_fresh_home_and_a_finished_run_leave_nothing_to_recover(ccp_env):
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

    assert run_guard.nothing_to_recover(ccp_env.dagster_home)  # no storage files yet: no run can exist
    with DagsterInstance.get() as inst:
        assert run_guard.nothing_to_recover(ccp_env.dagster_home)
        inst.add_run(DagsterRun(job_name=DAILY_JOB_NAME, run_id=str(uuid.uuid4()), status=DagsterRunStatus.SUCCESS))
        assert not _preflight_sees_something(inst)
    assert run_guard.nothing_to_recover(ccp_env.dagster_home)


def test_a_started_run_or_a_pool_claim_means_the_full_preflight(ccp_env):
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus

    with DagsterInstance.get() as inst:
        run_id = str(uuid.uuid4())
        inst.add_run(DagsterRun(job_name=DAILY_JOB_NAME, run_id=run_id, status=DagsterRunStatus.STARTED,
                                tags=run_guard.process_tags()))
        assert _preflight_sees_something(inst)
        assert not run_guard.nothing_to_recover(ccp_env.dagster_home)
        inst.report_run_failed(inst.get_run_by_id(run_id))
        assert run_guard.nothing_to_recover(ccp_env.dagster_home)

        # a finished run's claim still held: recover's _free_finished would act on it
        inst.event_log_storage.initialize_concurrency_limit_to_default(POOL)
        assert inst.event_log_storage.claim_concurrency_slot(POOL, run_id, "raw_claude_code").is_claimed
        assert _preflight_sees_something(inst)
        assert not run_guard.nothing_to_recover(ccp_env.dagster_home)
        inst.event_log_storage.free_concurrency_slots_for_run(run_id)
        assert run_guard.nothing_to_recover(ccp_env.dagster_home)


def test_storage_elsewhere_is_never_proven_quiet(ccp_env):
    yaml = ccp_env.dagster_home / "dagster.yaml"
    yaml.write_text(yaml.read_text() + "\nrun_storage:\n  module: dagster_postgres\n  class: PostgresRunStorage\n")
    assert not run_guard.nothing_to_recover(ccp_env.dagster_home)
