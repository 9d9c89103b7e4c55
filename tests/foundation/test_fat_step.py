"""Issue 16: several assets in one Dagster step (assets/fat_step.py) lose nothing a step of their own gave.

Real Dagster runs (an instance in the test's DAGSTER_HOME) over a real DuckDB warehouse, with four parts:
`first` and `last` write a table, `broken` raises, `after_broken` depends on it. Expected values are written
out by hand here.
"""

from __future__ import annotations

from dagster import AssetKey, DagsterEventType, DagsterInstance, materialize
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from ccp_assets.assets.common import per_partition
from ccp_assets.assets.fat_step import daily_part, fat_step
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.warehouse.resource import WarehouseResource

CONNECTIONS: list[int] = []  # id() of the connection each part got


def _writer(name: str, deps: tuple[str, ...] = ()):
    @daily_part(name=name, group="test", description=f"{name}: one row per day", deps=deps)
    def _part(context, warehouse) -> None:
        with warehouse.connect() as conn:
            CONNECTIONS.append(id(conn))
            conn.execute(f"CREATE TABLE IF NOT EXISTS {name} (day VARCHAR)")
            for day in context.partition_keys:
                conn.execute(f"INSERT INTO {name} VALUES (?)", [day])
        per_partition(context, {d: {"day_number": int(d[-2:])} for d in context.partition_keys})
    return _part


@daily_part(name="broken", group="test", description="raises")
def _broken(context) -> None:
    raise ValueError("no such column: tokens_inn\nsecond line of the error")


STEP = fat_step("test_step", [_writer("after_broken", ("broken",)), _writer("first"), _broken, _writer("last")],
                "four parts, one broken")
# A later step that reads only `first`: Dagster starts it only when the whole step before it succeeded (why
# the rollup and uploads are a step of their own, assets/layers.py).
AFTER = fat_step("test_after", [_writer("publish", ("first",))], "reads first")


def _run(ccp_env, selection: list[str] | None = None):
    CONNECTIONS.clear()
    instance = DagsterInstance.get()
    result = materialize([STEP, AFTER], instance=instance, raise_on_error=False, selection=selection,
                         resources={"warehouse": WarehouseResource(database=str(ccp_env.ccp_home / "w.duckdb")),
                                    "settings": SettingsResource()},
                         tags={ASSET_PARTITION_RANGE_START_TAG: "2026-02-10", ASSET_PARTITION_RANGE_END_TAG: "2026-02-12"})
    mats = {}
    for ev in result.all_events:
        if ev.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            m = ev.step_materialization_data.materialization
            mats.setdefault(m.asset_key.to_user_string(), {})[m.partition] = m.metadata["day_number"].value
    return result, mats


def test_siblings_of_a_failed_part_materialize_and_the_failure_names_every_part_it_cost(ccp_env):
    result, mats = _run(ccp_env)
    assert not result.success
    days = {"2026-02-10": 10, "2026-02-11": 11, "2026-02-12": 12}  # each day its own number, never a run total
    assert mats == {"first": days, "last": days}  # `last` ran after `broken` raised; `after_broken` did not
    started = {ev.step_key for ev in result.all_events if ev.event_type == DagsterEventType.STEP_START}
    assert started == {"test_step"}  # not `test_after`: `first` is there, but the step that made it failed
    (failure,) = [ev for ev in result.all_events if ev.event_type == DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.error.cause.message.strip().splitlines()[-1]
    assert message.endswith("StepFailures: 1 of 4 asset(s) failed: broken: ValueError: no such column: tokens_inn; "
                            "not run because of that: after_broken"), message
    assert len(set(CONNECTIONS)) == 1 and len(CONNECTIONS) == 2  # one warehouse connection for the step


def test_one_selected_part_runs_alone_in_dependency_order(ccp_env):
    result, mats = _run(ccp_env, ["last"])
    assert result.success
    assert set(mats) == {"last"}
    result, mats = _run(ccp_env, ["after_broken", "first", "publish"])  # after_broken's dependency not selected
    assert result.success and set(mats) == {"after_broken", "first", "publish"}
    assert STEP.keys == {AssetKey(k) for k in ("first", "broken", "after_broken", "last")}
    order = [s.key.to_user_string() for s in STEP.specs]
    assert order.index("broken") < order.index("after_broken")
