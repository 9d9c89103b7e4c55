"""Several daily assets in one Dagster step: `Part`s (an asset's spec and body) folded by `fat_step`.

Why: each Dagster step costs ~0.1-0.3 s of its own (STEP_START/OUTPUT/SUCCESS, planned and materialized
events written to SQLite, each opening its engines) plus a DuckDB connection (open, schema check, close),
while the SQL of most measurement assets on a small day runs in milliseconds (the session-start profile:
38 steps, 347 events, ~2 s of per-step connect+close+schema check alone). Folding keeps every asset as it
was (key, group, description, contract metadata, owners, kinds, partitions, single-run backfill, pool,
per-partition metadata) and drops only the step boundary:

- `can_subset=True`: `ccp materialize --select <one asset>` (or one asset picked in the UI) runs that part only;
- parts run in dependency order and each one's materialization is yielded as soon as it is done;
- a part that raises does not stop its siblings: the parts that do not depend on it still run (and
  materialize), the ones that do are not run, and the step then fails with one line naming every failure
  and what it held back (what `ccp materialize` prints as FAILED);
- one warehouse connection per step (opened at first use, closed when the step ends), each part's days
  still in their own transactions.
"""

import inspect
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    multi_asset,
)

from ccp_assets.assets.common import OWNERS
from ccp_assets.partitions import DAILY, SINGLE_RUN
from ccp_assets.settings_resource import SettingsResource
from ccp_assets.warehouse.resource import WAREHOUSE_POOL, WarehouseResource

PartFn = Callable[..., Any]


@dataclass(frozen=True)
class Part:
    """One asset of a fat step: what the graph shows (`spec`) and what materializes its days (`fn`).

    `fn(context, [warehouse], [settings])` gets an `AssetView` as its context and whichever of the step's
    resources it names; it reports its numbers with `common.per_partition` and returns nothing useful."""

    spec: AssetSpec
    fn: PartFn

    @property
    def name(self) -> str:
        return self.spec.key.to_user_string()


def daily_part(*, name: str, group: str, description: str, deps: Sequence[str | AssetKey] = (),
               kinds: set[str] | None = None, table: str | None = None) -> Callable[[PartFn], Part]:
    """The part-shaped `common.daily_asset`: same owners, kinds default and contract column metadata."""
    metadata: dict[str, Any] = {}
    if table is not None:
        from ccp_assets.model.contract import column_schema_metadata

        metadata = dict(column_schema_metadata(table))
    spec = AssetSpec(name, group_name=group, description=description, deps=list(deps), owners=OWNERS,
                     kinds=kinds or {"duckdb"}, metadata=metadata)
    return lambda fn: Part(spec, fn)


class AssetView:
    """The step's context as one part sees it: its metadata goes to its own asset key.

    Offers what the part bodies and `common` use (`partition_keys`, `log`, `add_asset_metadata`), so
    `partition_days`, `usable_days` and `per_partition` work unchanged inside a fat step."""

    def __init__(self, context: AssetExecutionContext, key: AssetKey) -> None:
        self._context, self.asset_key = context, key

    @property
    def partition_keys(self) -> Sequence[str]:
        return self._context.partition_keys

    @property
    def log(self) -> Any:
        return self._context.log

    def add_asset_metadata(self, metadata: Mapping[str, Any], partition_key: str | None = None) -> None:
        self._context.add_asset_metadata(metadata, asset_key=self.asset_key, partition_key=partition_key)


class SharedWarehouse:
    """`WarehouseResource.connect()` for every part of a step, backed by one connection the step closes."""

    def __init__(self, resource: WarehouseResource, stack: ExitStack) -> None:
        self._resource, self._stack = resource, stack
        self._conn: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._conn is None:
            self._conn = self._stack.enter_context(self._resource.connect())
        yield self._conn

    def after_failure(self) -> None:
        """A part that raised outside `transaction()` may leave one open: end it so its siblings start clean."""
        if self._conn is not None:
            with suppress(duckdb.Error):  # no transaction was open: the usual case
                self._conn.execute("ROLLBACK")


class StepFailures(Exception):
    """Some parts of a fat step failed (their siblings' materializations are recorded)."""


def in_dependency_order(parts: Sequence[Part]) -> list[Part]:
    """The parts, each after its in-step dependencies (listed order otherwise kept); a cycle is a bug."""
    by_key = {p.spec.key: p for p in parts}
    done: list[Part] = []
    todo = list(parts)
    while todo:
        ready = next((p for p in todo if all(d.asset_key not in by_key or by_key[d.asset_key] in done
                                             for d in p.spec.deps)), None)
        if ready is None:
            raise ValueError(f"cycle among {[p.name for p in todo]}")
        done.append(ready)
        todo.remove(ready)
    return done


def _call(part: Part, view: AssetView, resources: Mapping[str, Any]) -> None:
    wanted = inspect.signature(part.fn).parameters
    part.fn(view, **{k: v for k, v in resources.items() if k in wanted})


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0][:160]}" if text else type(e).__name__


def fat_step(name: str, parts: Sequence[Part], description: str) -> AssetsDefinition:
    """One subsettable, daily, single-run-backfill multi_asset in the warehouse pool running `parts`."""
    ordered = in_dependency_order(parts)

    @multi_asset(name=name, specs=[p.spec for p in ordered], description=description, can_subset=True,
                 partitions_def=DAILY, backfill_policy=SINGLE_RUN, pool=WAREHOUSE_POOL)
    def _step(context: AssetExecutionContext, warehouse: WarehouseResource,
              settings: SettingsResource) -> Iterator[MaterializeResult]:
        selected = context.selected_asset_keys
        failed: set[AssetKey] = set()  # parts that raised, and parts not run because one of those failed
        errors: list[str] = []
        held: list[str] = []
        with ExitStack() as stack:
            shared = SharedWarehouse(warehouse, stack)
            resources = {"warehouse": shared, "settings": settings}
            for part in ordered:
                key = part.spec.key
                if key not in selected:
                    continue
                upstream = [d.asset_key.to_user_string() for d in part.spec.deps if d.asset_key in failed]
                if upstream:
                    failed.add(key)
                    held.append(part.name)
                    context.log.error(f"{part.name} not run: {', '.join(upstream)} failed")
                    continue
                try:
                    _call(part, AssetView(context, key), resources)
                except Exception as e:  # noqa: BLE001 - reported below, after the siblings ran
                    failed.add(key)
                    errors.append(f"{part.name}: {_one_line(e)}")
                    context.log.error(f"{part.name} failed:\n{traceback.format_exc()}")
                    shared.after_failure()
                    continue
                yield MaterializeResult(asset_key=key)
        if errors:  # one line (the CLI prints its last line as FAILED): every failure, then what it held back
            raise StepFailures(f"{len(errors)} of {len(selected)} asset(s) failed: " + "; ".join(errors)
                               + (f"; not run because of that: {', '.join(held)}" if held else ""))

    return _step
