"""A day whose latest blocking drift check failed is never uploaded: not queued by the upload assets, not
queued by `ccp upload`, and not sent by the sender even when it was queued before the check failed."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

from ccp_assets.settings import load_settings
from ccp_assets.uploads.sender import drain
from ccp_assets.uploads.service import run_upload
from ccp_assets.warehouse.resource import warehouse_for
from tests.helpers import materialize_all

from .conftest import MAIN, license_env, setenv, stored_rows, use_home

PROJECT = MAIN.parent


def test_a_drifted_day_is_withheld_everywhere_and_the_clean_day_is_sent(ccp_env, monkeypatch, operator, aggregator):
    agg = aggregator()
    license_env(ccp_env, monkeypatch, operator, "minimized", ["telemetry_minimized"], url=agg.url)
    proj = ccp_env.projects()
    for f in ("short.jsonl", "tool_heavy.jsonl"):  # 2026-02-10, clean
        shutil.copy(PROJECT / f, proj / f)
    (proj / MAIN.name).write_text(MAIN.read_text().replace('"output_tokens":', '"outputTokens":'))  # 2026-02-12
    outcome = materialize_all()
    assert outcome is not None
    assert {c["partition"] for c in outcome.checks if not c["passed"] and c["partition"]} == {"2026-02-12"}
    meta = outcome.materialized["upload_minimized"]["metadata"]
    assert meta["queued_days"] == ["2026-02-10"]
    why = meta["withheld"]["2026-02-12"]
    assert why.startswith("failed check: ") and "2026-02-12: drift" in why and "output_tokens" in why

    from ccp_assets.cli.upload_cmd import render

    report = run_upload(load_settings())
    lines = render(report)
    assert report.ok, lines  # withheld is not a failure
    assert [r.day for r in report.with_outcome("sent")] == ["2026-02-10"]
    assert any(line.startswith("withheld: 2026-02-12") and "failed check" in line for line in lines), lines
    assert stored_rows(agg.db_path, "SELECT period FROM metrics") == [("2026-02-10",)]
    assert all("2026-02-12" not in (r["key"] or "") for r in agg.recorder.requests)


def _record_check(passed: bool, day: str) -> None:
    with warehouse_for(load_settings().warehouse_path).connect() as conn:
        conn.execute("INSERT INTO check_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     ["turns_suite", "normalized_claude_code", "turns", "claude_code", day, passed,
                      f"turns_suite[claude_code] {day}: {'pass' if passed else 'drift: column model is null'}",
                      json.dumps({}), "test-run", datetime.now(UTC)])


def test_the_sender_rechecks_the_latest_drift_result_right_before_sending(fixture_home, ccp_env, monkeypatch,
                                                                         operator, aggregator):
    agg = aggregator()
    use_home(fixture_home, ccp_env)
    license_env(ccp_env, monkeypatch, operator, "minimized", ["telemetry_minimized"])  # no aggregator yet
    queued = run_upload(load_settings())
    assert queued.enqueue.added == 2 and {r.outcome for r in queued.results} == {"withheld"}
    assert all(r.detail.startswith("aggregator: CCP_AGGREGATOR_URL is unset") for r in queued.results)

    _record_check(False, "2026-02-12")  # a later run found drift in a day already queued
    setenv(ccp_env, monkeypatch, CCP_AGGREGATOR_URL=agg.url)
    results = {r.day: r for r in drain(load_settings())}
    assert results["2026-02-10"].outcome == "sent"
    assert results["2026-02-12"].outcome == "withheld" and "column model is null" in results["2026-02-12"].detail
    assert stored_rows(agg.db_path, "SELECT period FROM metrics") == [("2026-02-10",)]

    _record_check(True, "2026-02-12")  # fixed and re-checked: the latest result passes
    assert [(r.day, r.outcome) for r in drain(load_settings())] == [("2026-02-12", "sent")]
    assert sorted(stored_rows(agg.db_path, "SELECT period FROM metrics")) == [("2026-02-10",), ("2026-02-12",)]
