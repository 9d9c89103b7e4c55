"""The daily graph after the sources, as two Dagster steps (fat_step.py) instead of fifteen.

- `unified_and_measurements`: the unified layer and every measurement (12 assets, all DuckDB tables of the
  day). One step, not two: the layers depend on each other both ways (usage_cost reads unified_turns,
  unified_sessions reads interaction_daily), so a unified step and a measurement step would form a cycle.
- `rollup_and_uploads`: daily_summary and the two upload queues, what leaves the warehouse (rollup files,
  the outbox). Its own step because Dagster starts it only once the whole derivation step succeeded
  (tests/foundation/test_fat_step.py): a day is never summarized or queued from a partial derivation, even
  through a table its deps do not name. That guarantee costs one step (figures below).

Measured (cold `ccp materialize` of the 3.7 MB fixture, fresh homes, 3 runs each, shared 2-core machine):
38 steps / 347 events before, 25 steps / 321 events after. On main before its SQLite storage change (load
1.6-16): 14.7 -> 12.9 s CPU (user+sys, median), the 15 steps' wall 7.3-12.1 s -> the two's 4.7-7.5 s. After
that change (event log connections kept open, load 5-8) a step costs far less: the 15 steps' wall
1.4-2.5 s (median 2.2) -> 1.3-1.8 s (median 1.6), whole-run CPU the same within noise (8.9 vs 8.8 s). A
DuckDB connection (open, schema check, close) is 23 ms CPU; 13 fewer per run now.
"""

from ccp_assets.assets.fat_step import fat_step
from ccp_assets.assets.measurements.churn import churn_daily
from ccp_assets.assets.measurements.cls import cls_features
from ccp_assets.assets.measurements.cost import usage_cost
from ccp_assets.assets.measurements.efficiency import efficiency_daily
from ccp_assets.assets.measurements.entity import measurements
from ccp_assets.assets.measurements.features import features_daily
from ccp_assets.assets.measurements.interaction import interaction_daily
from ccp_assets.assets.measurements.mix import model_mix_daily, policy_findings, routing_daily
from ccp_assets.assets.rollups.daily import daily_summary
from ccp_assets.assets.unified.sessions import unified_sessions
from ccp_assets.assets.unified.turns import unified_turns
from ccp_assets.assets.uploads.daily import upload_full, upload_minimized

unified_and_measurements = fat_step(
    "unified_and_measurements",
    [unified_turns, usage_cost, features_daily, churn_daily, efficiency_daily, interaction_daily, unified_sessions,
     cls_features, model_mix_daily, routing_daily, policy_findings, measurements],
    "The unified layer and every measurement of the day, in dependency order, as one step.",
)

rollup_and_uploads = fat_step(
    "rollup_and_uploads",
    [daily_summary, upload_minimized, upload_full],
    "The day's rollup files, then its upload payloads queued in the outbox, as one step.",
)
