"""A 30-day backfill as one Dagster run over generated demo data (a real git repository, AgentOS ledgers, three days
of CCP proxy log and one day known only from the proxy's METRICS summary): 30 daily summaries and their ISO weeks,
and a second run that changes no file."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from ccp_assets.demo import write_demo_data
from tests.helpers import materialize_all
from tests.measurements.conftest import METRICS_FIELDS, isolated_env, summary

START, END = "2026-01-09", "2026-02-07"
DAYS = [str(dt.date(2026, 1, 9) + dt.timedelta(days=k)) for k in range(30)]
WEEKS = {"2026-W02": DAYS[:3], "2026-W03": DAYS[3:10], "2026-W04": DAYS[10:17], "2026-W05": DAYS[17:24],
         "2026-W06": DAYS[24:]}


def _files(root):
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("backfill")
    demo = write_demo_data(tmp / "demo", days=30, scale=1, seed=7, end=dt.date(2026, 2, 8))
    agentos, proxy = tmp / "agentos", tmp / "ccp"
    agentos.mkdir()
    (proxy / "results").mkdir(parents=True)
    for name in ("windows.jsonl", "glm_counts.jsonl", "churn.jsonl"):
        shutil.copy(demo.roots["agentos"] / name, agentos / name)
    for name in ("usage-20260205.jsonl", "usage-20260206.jsonl", "usage-20260207.jsonl"):
        shutil.copy(demo.roots["ccp"] / name, proxy / name)
    shutil.copy(demo.roots["ccp"] / "results" / "METRICS-2026-01-09.json", proxy / "results")
    env = {"CCP_AGENTOS_DATA_DIR": str(agentos), "CCP_REPO_DIR": str(demo.roots["repo"]),
           "CCP_USAGE_LOG_DIR": str(proxy)}
    with isolated_env(tmp, env) as home:
        first = materialize_all(START, END)
        assert first is not None and first.success, first and first.failures
        before = _files(home / "rollups")
        second = materialize_all(START, END)
        yield {"home": home, "first": first, "second": second, "before": before}


def test_one_run_writes_thirty_daily_summaries_and_their_weeks(world):
    home, first = world["home"], world["first"]
    assert (first.start, first.end) == (START, END)
    assert first.materialized["daily_summary"]["partitions"] == 30
    assert sorted(p.parent.name for p in (home / "rollups").glob("2026-*/metrics_summary.json")) == DAYS
    assert all(set(METRICS_FIELDS) <= set(summary(home, d)) for d in DAYS)
    weeks = {p.parent.name: json.loads(p.read_text()) for p in (home / "rollups" / "weekly").glob("*/metrics_summary.json")}
    assert {w: s["days"] for w, s in weeks.items()} == WEEKS
    for w, s in weeks.items():
        dailies = [summary(home, d) for d in WEEKS[w]]
        shipped = [d["features_shipped"] for d in dailies if d["features_shipped"] is not None]
        assert s["features_shipped"] == (sum(shipped) if shipped else None), w
        pp = [d["capacity_used"]["pp"] for d in dailies if (d["capacity_used"] or {}).get("pp") is not None]
        assert s["capacity_used"]["pp"] == pytest.approx(sum(pp)), w
        codex = [d["efficiency_by_provider"]["codex"] for d in dailies if "codex" in d["efficiency_by_provider"]]
        assert s["efficiency_by_provider"]["codex"]["e"] == pytest.approx(
            sum(c["features"] for c in codex) / sum(c["capacity"] for c in codex), abs=1e-6), w
    log = (home / "rollups" / "progress.log.md").read_text()
    assert [ln[3:] for ln in log.splitlines() if ln.startswith("## ")] == DAYS


def test_running_the_backfill_again_changes_no_file(world):
    assert world["second"] is not None and world["second"].success
    after = _files(world["home"] / "rollups")
    assert after.keys() == world["before"].keys()
    changed = [k for k in after if after[k] != world["before"][k]]
    assert changed == []


def test_every_day_is_measured_from_its_own_sources(world):
    home = world["home"]
    only_summary = summary(home, START)                   # the proxy's METRICS file is the day's only evidence
    assert only_summary["routing"]["source"] == "summary" and set(only_summary["routing"]["lanes"]) == {"anthropic", "zai"}
    assert only_summary["features_shipped"] is None and only_summary["efficiency_by_provider"] == {}
    day = summary(home, "2026-02-06")
    assert day["routing"]["source"] == "log" and day["routing"]["lanes"]["zai"]["reroutes"] > 0
    assert day["churn_source"] == "git_churn_14d" and day["avg_cls"] is not None
    glm = [m for m in day["cost_usd_by_model"] if m.startswith("glm-")]
    assert glm and all(day["tokens_by_model"][m]["prompts"] > 0 for m in glm)      # GLM priced per prompt
    assert any("under the community plan" in f for f in day["policy_findings"])
    assert set(day["features_per_capacity"]) == {"pp", "prompts", "mtok"}
    # the codex window whose 5-hour bar reset (demo day 1) is measured by its weekly delta, and says so
    assert "codex E: 1 window(s) measured by the weekly delta (5-hour delta missing or reset)" in summary(
        home, "2026-01-11")["errors"]
