"""Retention: landed days older than the policy's retention_days are deleted and the deletion logged; without a
policy in force (no pack, or a license without policy_packs) everything is kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow.parquet as pq
from dagster import DagsterInstance

from ccp_assets import runs
from ccp_assets.definitions import defs
from ccp_assets.licensing import clock, install_policy
from ccp_assets.settings import load_settings

from .conftest import license_env

NOW = datetime(2026, 2, 13, 12, 0, tzinfo=UTC).timestamp()


def _retention(instance) -> dict:  # noqa: ANN001
    result = defs.get_job_def("landing_retention_job").execute_in_process(instance=instance)
    assert result.success
    (mat,) = result.asset_materializations_for_node("landing_retention")
    return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}


def _landed(settings) -> dict[str, int]:  # noqa: ANN001
    base = settings.landing_dir / "claude_code"
    return {p.name[4:]: sum(pq.ParquetFile(f).metadata.num_rows for f in p.glob("*.parquet"))
            for p in sorted(base.glob("day=*"))}


def test_retention_deletes_old_landed_days_only_under_a_policy_in_force(claude_fixture, ccp_env, monkeypatch,
                                                                        operator):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    settings = load_settings()
    runs.land_all(settings)
    before = _landed(settings)
    assert {"2026-02-10", "2026-02-12"} <= set(before)
    with DagsterInstance.ephemeral() as instance:
        kept = _retention(instance)  # no policy pack: keep everything
        assert kept["applied"] is False and kept["reason"].startswith("keep everything: no policy pack")
        assert _landed(settings) == before

        license_env(ccp_env, monkeypatch, operator, "local", ["telemetry_minimized"], now=NOW - 3600)
        install_policy(operator.policy(retention_days=2, now=NOW - 3600), load_settings(), NOW)
        kept = _retention(instance)  # a policy, but this plan has no policy packs
        assert kept["applied"] is False and "policy_packs" in kept["reason"]
        assert _landed(settings) == before

        license_env(ccp_env, monkeypatch, operator, "local", now=NOW - 3600)  # pro with policy_packs
        meta = _retention(instance)
    assert meta["applied"] is True and meta["retention_days"] == 2 and meta["cutoff"] == "2026-02-11"
    old = {d: n for d, n in before.items() if d < "2026-02-11"}
    assert old and meta["deleted"] == {"claude_code": {d: {"files": 1, "rows": n, "bytes": meta["deleted"]
                                                            ["claude_code"][d]["bytes"]} for d, n in old.items()}}
    assert meta["deleted_rows"] == sum(old.values()) and meta["deleted_files"] == len(old)
    after = _landed(settings)
    assert after == {d: n for d, n in before.items() if d >= "2026-02-11"}
    log = [json.loads(line) for line in (settings.state_dir / "retention.log.jsonl").read_text().splitlines()]
    assert len(log) == 1 and log[-1]["rows"] == sum(old.values()) and log[-1]["cutoff"] == "2026-02-11"
    assert log[-1]["deleted"]["claude_code"].keys() == old.keys()
