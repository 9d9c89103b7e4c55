"""The code location's shape: a snapshot of the whole asset graph, and the instance settings it relies on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml
from dagster import AssetKey, DailyPartitionsDefinition
from dagster._core.definitions.backfill_policy import BackfillPolicyType

from ccp_assets.definitions import defs
from ccp_assets.model.schemas import stale_schemas
from ccp_assets.sources.registry import SOURCES

SNAPSHOT = Path(__file__).with_name("asset_graph.snapshot.json")
REPO = Path(__file__).resolve().parents[2]


def graph_snapshot() -> dict:
    graph = defs.resolve_asset_graph()
    out = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        out[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "kinds": sorted(node.kinds),
            "partitioned": type(node.partitions_def).__name__ if node.partitions_def else None,
            "backfill": node.backfill_policy.policy_type.value if node.backfill_policy else None,
            "checks": sorted(c.name for c in node.check_keys),
        }
    return out


def source_fragment(full: dict, name: str) -> dict:
    """What one source adds to the graph: its own assets, and the edges core assets take from them."""
    own = {f"raw_{name}", f"normalized_{name}"}
    return {"assets": {k: v for k, v in full.items() if k in own},
            "edges": {k: sorted(set(v["deps"]) & own) for k, v in full.items()
                      if k not in own and set(v["deps"]) & own}}


def core_graph(full: dict) -> dict:
    """The graph without what the registered sources add (each source's part is snapshotted with its tests),
    with the Dagster step (op) computing each asset: several assets share a step (assets/layers.py)."""
    made = {f"{layer}_{s.name}" for s in SOURCES for layer in ("raw", "normalized")}
    graph = defs.resolve_asset_graph()
    step = {k: graph.assets_def_for_key(AssetKey.from_user_string(k)).node_def.name for k in full}
    return {k: {**v, "deps": [d for d in v["deps"] if d not in made], "step": step[k]}
            for k, v in full.items() if k not in made}


def test_asset_graph_matches_snapshot():
    """The core graph here, each source's assets and edges in tests/sources/<name>/ (so adding a source touches
    only its own package, tests and registry line). Regenerate with UPDATE_SNAPSHOT=1 when the graph changes on
    purpose, and review the diff."""
    full = graph_snapshot()
    expected = {SNAPSHOT: core_graph(full)}
    expected |= {REPO / "tests" / "sources" / s.name / SNAPSHOT.name: source_fragment(full, s.name) for s in SOURCES}
    for path, current in expected.items():
        if os.environ.get("UPDATE_SNAPSHOT") or not path.exists():
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
        assert current == json.loads(path.read_text()), path


def test_every_asset_is_daily_with_a_single_run_backfill_and_the_warehouse_pool():
    """Every asset of the daily graph; the few unpartitioned ones (license state, retention) are listed apart."""
    from ccp_assets.definitions import ASSETS, UNPARTITIONED_ASSETS

    graph = defs.resolve_asset_graph()
    daily = {k for a in ASSETS for k in a.keys}
    assert daily | {k for a in UNPARTITIONED_ASSETS for k in a.keys} == set(graph.get_all_asset_keys())
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.description and node.owners and node.group_name, key
        if key not in daily:
            continue
        assert isinstance(node.partitions_def, DailyPartitionsDefinition), key
        assert node.backfill_policy and node.backfill_policy.policy_type == BackfillPolicyType.SINGLE_RUN, key
        assert node.pools == {"duckdb_warehouse"}, key
        assert node.description and node.owners, key


def test_nightly_schedule_runs_by_default_and_job_is_in_process():
    schedule = defs.get_schedule_def("nightly_rollup")
    assert schedule.default_status.value == "RUNNING"
    assert all(s.default_status.value == "RUNNING" for s in defs.sensors)
    assert defs.get_job_def("ccp_daily").executor_def.name == "in_process"


def test_instance_config_turns_telemetry_off_queues_runs_and_limits_the_pool():
    cfg = yaml.safe_load((REPO / "dagster_home" / "dagster.yaml").read_text())
    assert cfg["telemetry"]["enabled"] is False
    assert cfg["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert cfg["concurrency"]["pools"]["default_limit"] == 1


def test_committed_json_schemas_match_the_models():
    assert stale_schemas() == [], "run `ccp schemas write` and commit schemas/v1"


def test_committed_expectation_suites_match_the_models():
    from ccp_assets.checks.suites import stale_suites

    assert stale_suites() == [], "run `ccp schemas write` and commit schemas/expectations"
