"""Steps of features/drift.feature, features/backfill.feature and features/schedule.feature."""

from __future__ import annotations

import re
import shutil
from datetime import datetime

from dagster import DagsterInstance, build_schedule_context
from pytest_bdd import given, parsers, scenarios, then, when

from ccp_assets.definitions import defs
from tests.bdd.conftest import MAIN, PROJECT
from tests.helpers import ccp

scenarios("drift.feature", "backfill.feature", "schedule.feature")


@given("a clean day of transcripts on 2026-02-10")
def clean_day(ccp_env) -> None:
    for name in ("short.jsonl", "tool_heavy.jsonl"):
        shutil.copy(PROJECT / name, ccp_env.projects() / name)


@given("a day on 2026-02-12 whose input_tokens arrive as strings and output_tokens is renamed")
def drifted_day(ccp_env) -> None:
    text = MAIN.read_text().replace('"output_tokens":', '"outputTokens":')
    (ccp_env.projects() / MAIN.name).write_text(re.sub(r'"input_tokens":(\d+)', r'"input_tokens":"\1"', text))


@then(parsers.parse('ccp materialize fails naming "{field}" for {day}'))
def fails_naming(world, field: str, day: str) -> None:
    r = world["result"]
    assert r.returncode != 0
    failure = [line for line in r.stderr.splitlines() if line.startswith("CHECK FAILED")]
    assert failure and field in failure[0] and day in failure[0], r.stderr


@then(parsers.parse("the summary of {day} is written"))
def summary_written(ccp_env, day: str) -> None:
    assert (ccp_env.ccp_home / "rollups" / day / "metrics_summary.json").exists()


@then(parsers.parse("nothing downstream of {day} is written"))
def nothing_downstream(ccp_env, day: str) -> None:
    assert not (ccp_env.ccp_home / "rollups" / day).exists()
    assert f"## {day}" not in (ccp_env.ccp_home / "rollups" / "progress.log.md").read_text()


@when(parsers.parse("I materialize {start} to {end}"))
def materialize_range(ccp_env, world, start: str, end: str) -> None:
    rollups = ccp_env.ccp_home / "rollups"
    world["before"] = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in rollups.rglob("*") if p.is_file()}
    r = ccp(ccp_env.env, "materialize", "--start", start, "--end", end)
    world.setdefault("runs", []).append(r)


@then("exactly one run covered the three days")
def one_run(ccp_env) -> None:
    with DagsterInstance.get() as instance:
        runs = instance.get_runs()
    assert len(runs) == 1
    tags = runs[0].tags
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        "2026-02-10", "2026-02-12")


@then("the daily and weekly summaries exist")
def summaries_exist(ccp_env) -> None:
    rollups = ccp_env.ccp_home / "rollups"
    assert (rollups / "2026-02-10" / "metrics_summary.json").exists()
    assert (rollups / "2026-02-12" / "metrics_summary.json").exists()
    assert (rollups / "weekly" / "2026-W07" / "metrics_summary.json").exists()


@then("no rollup file changed")
def nothing_changed(ccp_env, world) -> None:
    rollups = ccp_env.ccp_home / "rollups"
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in rollups.rglob("*") if p.is_file()}
    assert after == world["before"]


@given("the code location")
def code_location() -> None:
    assert defs.get_job_def("ccp_daily")


@then("the nightly schedule is RUNNING by default")
def schedule_running() -> None:
    assert defs.get_schedule_def("nightly_rollup").default_status.value == "RUNNING"


@then(parsers.parse("at 02:00 on {day} it asks for the partition {partition}"))
def schedule_targets(day: str, partition: str) -> None:
    schedule = defs.get_schedule_def("nightly_rollup")
    with DagsterInstance.ephemeral() as instance:
        ctx = build_schedule_context(instance=instance, repository_def=defs.get_repository_def(),
                                     scheduled_execution_time=datetime.fromisoformat(f"{day}T02:00:00+00:00"))
        requests = schedule.evaluate_tick(ctx).run_requests
    assert [r.partition_key for r in requests] == [partition]
