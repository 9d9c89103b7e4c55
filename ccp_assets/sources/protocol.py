"""What one source contributes to the graph, in one place: the `Source` protocol (issue 17).

A source is one package, `ccp_assets/sources/<package>/`, whose `source.py` holds `SOURCE`, an object of
this shape; `sources/registry.py` lists the packages. Everything above the packages is generic over the
registry: the asset factory (assets/sources.py) makes `raw_<name>`, `normalized_<name>` and the blocking
drift checks of `checked_tables`; `unified_turns` takes turns by `calls`; the reports and `ccp report
<agent> ...` are made per `agent`; the price table adds the package's `prices.json`. So a new source is a
new package and one registry line, and nothing else changes.

Why a Protocol and not a base class: the adapters (files, enabled, event_time_sql) predate it and stay
plain classes; `SOURCE` is usually a subclass of its adapter that also subclasses `Source`, which then
gives it the defaults below (no agent, no unified calls, no raw extras, no standalone demo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from ccp_assets.settings import Settings

if TYPE_CHECKING:
    import duckdb

    from ccp_assets.demo.sink import DemoRun
    from ccp_assets.sources.landing_ledger import LandingResult

Calls = Literal["transcript", "proxy", "own"]
"""How a source's `turns` enter `unified_turns` (sources/unified.py):
- "transcript": the client's record of each call (Claude Code), matched one-to-one with the proxy's;
- "proxy": the routing proxy's record of each call (CCP proxy), matched with the transcript's;
- "own": each completed turn is a call no other source records (an agent such as Codex): a row of its
  own, priced and counted under the source's own `cost_usd_by_source` key.
None: its turns are not calls of unified_turns (CCC summarizes per prompt; AgentOS holds samples)."""


@dataclass(frozen=True)
class DayMetadata:
    """One day's normalize outcome as that partition's Dagster metadata (keys are what the UI shows)."""

    day: str
    metadata: dict[str, Any] = field(default_factory=dict)


class Source(Protocol):
    """One source: its landing (adapter), its normalizer, its tables and checks, and what it adds above."""

    name: str
    """Landing folder ($CCP_HOME/landing/<name>) and the asset names raw_<name> / normalized_<name>."""
    rows_source: str
    """The `source` value of the rows it writes (what drift checks and unified_turns select)."""
    raw_description: str
    normalized_description: str
    tables: ClassVar[tuple[str, ...]]
    """Every warehouse table its normalizer writes."""
    checked_tables: ClassVar[tuple[str, ...]]
    """The tables with a blocking Great Expectations drift check (schemas/expectations/<table>.json)."""
    expected_rows: ClassVar[dict[str, str]] = {}
    """{table: SQL condition on a landed line (`line`, `file`) that must give a row of it}: a day with such
    lines and no rows is drift (checks/drift.py). A table without one has rows not one-to-one with lines."""
    agent: str | None = None
    """ccusage's agent name (`claude`, `codex`): the source gets `ccp report <agent> ...` and a row key."""
    calls: Calls | None = None
    """How its turns enter unified_turns (Calls above); None: they do not."""

    drift_rules: ClassVar[dict[str, dict[str, Any]]] = {}
    """{table: rules for this source's rows}, the keys of model/rules.py's `by_source` (not_null, in_set,
    not_null_where, history_exempt): what the drift suites expect of this source only. Read at check time
    beside the committed suites (checks/suites.load_suite), so a new source's rules live in its package."""

    # The adapter (sources/base.py: SourceAdapter): what landing needs.
    event_time_sql: str

    def files(self, settings: Settings) -> list[Path]:
        """Every file of the source that exists now (sorted, absolute)."""
        ...

    def enabled(self, settings: Settings) -> bool:
        """False when the source is not configured (its assets then materialize empty, and say so)."""
        ...

    def normalize(self, conn: duckdb.DuckDBPyConnection, settings: Settings, days: Sequence[str]) -> list[DayMetadata]:
        """Replace the days' rows in `tables` from the landed lines; one DayMetadata per day."""
        ...

    def raw_metadata(self, conn: duckdb.DuckDBPyConnection, settings: Settings, result: LandingResult,
                     days: list[str]) -> dict[str, dict[str, Any]]:
        """{day: metadata} added to raw_<name>'s own per-day figures (none by default), read on the raw
        asset's own connection (a second writer connection inside a run would wait on the first)."""
        return {}

    def agent_report(self, conn: duckdb.DuckDBPyConnection, kind: str, since: date | None, until: date | None,
                     zone: str) -> dict[str, Any] | None:
        """ccusage's own JSON document for `ccp report <agent> <kind> --json` where its namespace prints a shape
        of its own (ccusage's `codex daily`: `{daily: [{date, ..., models}], totals}`); None: the common one."""
        return None

    def write_demo(self, run: DemoRun) -> dict[str, str]:
        """Write this source's demo files under `run.out` (demo/<name>); return the settings pointing there.

        Default: nothing here. The first five sources feed each other's demo data (a transcript's calls are
        the proxy's log lines), so demo/generate.py calls their writers itself; a source standing alone
        writes its own here and generate.py calls it for every registered source (import the writer inside,
        so that the registry stays light).
        """
        return {}

    @property
    def prices(self) -> Path | None:
        """Its model prices (shaped like pricing/prices_v1.json), or None: `prices.json` in its package."""
        from ccp_assets.pricing.table import source_prices

        return source_prices(type(self).__module__)


def rows_metadata(result: Any, **extra: Any) -> dict[str, Any]:
    """A normalizer's day result as metadata: lines read, rows written (total and per table), quarantined."""
    return {"lines": result.lines, "rows": sum(result.rows.values()), "quarantined": result.quarantined,
            "rows_by_table": result.rows, **extra}
