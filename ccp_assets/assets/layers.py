"""The daily graph after the sources, as two Dagster steps (fat_step.py) instead of fifteen.

- `unified_and_measurements`: the unified layer and every measurement (12 assets, all DuckDB tables of the
  day). One step, not two: the layers depend on each other both ways (usage_cost reads unified_turns,
  unified_sessions reads interaction_daily), so a unified step and a measurement step would form a cycle.
- `rollup_and_uploads`: daily_summary and the two upload queues, what leaves the warehouse (rollup files,
  the outbox). Its own step because Dagster starts it only once the whole derivation step succeeded
  (tests/foundation/test_fat_step.py): a day is never summarized or queued from a partial derivation, even
  through a table its deps do not name. That guarantee costs one step (~0.15 s CPU, below).

Measured (cold `ccp materialize` of the 3.7 MB fixture, fresh homes, median of 3, load average 1.6-16 on a
shared 2-core machine, so CPU time not wall): 38 steps / 347 events / 14.7 s CPU (user+sys) before, 25 steps /
321 events / 12.9 s CPU after; the 15 steps these replace took 7.3, 7.5, 12.1 s of wall under that load, the
two 4.7, 6.9, 7.5 s: most of the difference is per-step cost (Dagster's events in SQLite; a DuckDB connection opened, schema-checked and closed: 23 ms CPU
each, 13 fewer now), while their SQL on such a day runs in milliseconds.
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
