"""Great Expectations 1.x on an in-memory pandas batch: imported lazily, no analytics, no progress bars.

GX's SQL datasource cannot read DuckDB reliably, so the partition's rows are pulled from DuckDB as a
DataFrame and validated through an ephemeral context. The import costs seconds, so it happens on the
first validation only, never when the code location loads; `prewarm()` starts it in a thread early.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

_lock = threading.Lock()
_state: dict[str, Any] = {}


def _gx() -> dict[str, Any]:
    with _lock:
        if not _state:
            os.environ["GX_ANALYTICS_ENABLED"] = "False"  # the local tier promises zero network
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig
            from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

            ctx = gx.get_context(mode="ephemeral")
            ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            batch_def = ctx.data_sources.add_pandas("ccp").add_dataframe_asset("partition") \
                .add_batch_definition_whole_dataframe("rows")
            _state.update(gx=gx, ctx=ctx, batch_def=batch_def, cfg=ExpectationConfiguration)
        return _state


def prewarm() -> None:
    """Import GX in the background (the import is mostly I/O and bytecode; a run overlaps it)."""
    threading.Thread(target=_gx, name="gx-import", daemon=True).start()


@dataclass
class Outcome:
    type: str
    kwargs: dict[str, Any]
    success: bool
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    examples: list[Any] = field(default_factory=list)
    observed: Any = None
    unexpected_index: list[int] = field(default_factory=list)


def validate(df: Any, expectations: list[dict[str, Any]], suite_name: str) -> list[Outcome]:
    """Validate a DataFrame against expectation dicts ({type, kwargs}); one Outcome per expectation."""
    s = _gx()
    suite = s["gx"].ExpectationSuite(name=suite_name)
    for e in expectations:
        suite.add_expectation_configuration(s["cfg"](type=e["type"], kwargs=e["kwargs"]))
    batch = s["batch_def"].get_batch(batch_parameters={"dataframe": df})
    # COMPLETE gives the row index of every unexpected value, so a multi-day frame is judged once and
    # each failure is still attributed to its own day (and file, and client version).
    result = batch.validate(suite, result_format={"result_format": "COMPLETE", "include_unexpected_rows": False})
    out = []
    for r in result.results:
        res = r.result or {}
        examples = [x.tolist() if hasattr(x, "tolist") else x for x in (res.get("partial_unexpected_list") or [])[:5]]
        index = [int(i) for i in (res.get("unexpected_index_list") or []) if isinstance(i, int | float)]
        out.append(Outcome(r.expectation_config.type, dict(r.expectation_config.kwargs), bool(r.success),
                           res.get("unexpected_count"), res.get("unexpected_percent"), examples,
                           res.get("observed_value"), index))
    return out
