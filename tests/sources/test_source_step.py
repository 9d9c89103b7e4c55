"""One Dagster step per source (issue 16): `source_<name>` lands, normalizes and drift-checks, and each of its
assets or checks still runs alone when it is selected alone (the UI, `ccp materialize --select`)."""

from __future__ import annotations

from dagster import AssetCheckKey, AssetKey, DagsterEventType, DagsterInstance

from ccp_assets import runs
from ccp_assets.settings import load_settings
from ccp_assets.sources.registry import SOURCES
from tests.helpers import query

DAY = "2026-02-10"  # short.jsonl, subagent.jsonl and tool_heavy.jsonl of the real fixture


def _steps(run_id: str) -> list[str]:
    with DagsterInstance.get() as instance:
        records = instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_START).records
    return [r.event_log_entry.step_key for r in records]


def test_a_run_is_one_step_per_source_with_each_days_figures(claude_fixture):
    settings = load_settings()
    runs.ensure_dagster_home(settings)
    runs.land_all(settings)
    outcome = runs.materialize(DAY, "2026-02-12")
    assert outcome.success, outcome.failures
    steps = _steps(outcome.run_id)
    assert sorted(s for s in steps if s.startswith("source_")) == sorted(f"source_{s.name}" for s in SOURCES)
    assert not [s for s in steps if s.startswith(("raw_", "normalized_")) or s.endswith("_suite")], steps
    # each day's materialization and check evaluation carries that day's own figures (a range step)
    turns = dict(query("SELECT CAST(day AS VARCHAR), count(*) FROM turns WHERE source = 'claude_code' GROUP BY 1"))
    by_day = outcome.materialized["normalized_claude_code"]["by_partition"]
    assert {d: m["turns"] for d, m in by_day.items() if m["turns"]} == turns and len(set(turns.values())) > 1
    checks = {(c["check"], c["partition"]): c for c in outcome.checks if c["asset"] == "normalized_claude_code"}
    assert {d: checks["turns_suite", d]["metadata"]["stats"][d]["rows"] for d in by_day} == {
        d: turns.get(d, 0) for d in by_day}
    # the other sources had nothing: each still says so for every day, and passes
    for s in (s for s in SOURCES if s.name != "claude_code"):
        assert outcome.materialized[f"raw_{s.name}"]["partitions"] == 3
        assert [c["passed"] for c in outcome.checks if c["asset"] == f"normalized_{s.name}" and c["partition"]] == \
            [True] * 3 * len(s.checked_tables)


def test_each_asset_and_check_of_a_source_runs_alone(claude_fixture):
    settings = load_settings()
    runs.ensure_dagster_home(settings)
    runs.land_all(settings)

    raw = runs.materialize(DAY, DAY, selection="key:raw_claude_code")
    assert raw.success and set(raw.materialized) == {"raw_claude_code"} and raw.checks == [], raw
    assert raw.materialized["raw_claude_code"]["metadata"]["lines"] > 0
    assert query("SELECT count(*) FROM turns")[0][0] == 0  # landed, not normalized

    normalized = runs.materialize(DAY, DAY, selection="key:normalized_claude_code")
    assert normalized.success and set(normalized.materialized) == {"normalized_claude_code"}, normalized
    turns = query("SELECT count(*) FROM turns WHERE day = ?", [DAY])[0][0]
    assert normalized.materialized["normalized_claude_code"]["metadata"]["turns"] == turns > 0
    assert {(c["check"], c["partition"], c["passed"]) for c in normalized.checks} == {
        ("turns_suite", DAY, True), ("sessions_suite", DAY, True)}

    from ccp_assets.definitions import defs
    from ccp_assets.jobs import DAILY_JOB_NAME

    key = AssetCheckKey(AssetKey("normalized_claude_code"), "turns_suite")
    job = defs.resolve_job_def(DAILY_JOB_NAME).get_subset(asset_selection=set(), asset_check_selection={key})
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(instance=instance, partition_key=DAY, raise_on_error=False)
    assert result.success
    assert not result.get_asset_materialization_events()
    [evaluation] = result.get_asset_check_evaluations()
    assert (evaluation.check_name, evaluation.partition, evaluation.passed) == ("turns_suite", DAY, True)
    assert query("SELECT count(*) FROM check_results WHERE check_name = 'turns_suite' AND day = ?", [DAY])[0][0] == 2
