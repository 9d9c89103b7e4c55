"""The real AgentOS files (fixtures/agentos) all ingest, and the window rules of METRICS.md hold on them."""

from __future__ import annotations

import json
from datetime import datetime

from tests.helpers import materialize_all, query
from tests.sources.conftest import AGENTOS_FIXTURE

LEDGER_FILES = sorted(p for p in AGENTOS_FIXTURE.rglob("*.jsonl"))
CAPTURES = sorted(p for d in ("ccusage", "glm", "ccc") for p in (AGENTOS_FIXTURE / d).glob("*.json"))


def _lines(path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_every_real_agentos_file_ingests_and_nothing_valid_is_quarantined(agentos_dir):
    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome and outcome.failures
    physical = sum(len(_lines(p)) for p in LEDGER_FILES)
    assert query("SELECT sum(lines) FROM landing_batches WHERE source = 'agentos'")[0][0] == physical + len(CAPTURES)
    raw = outcome.materialized["raw_agentos"]["metadata"]
    assert (raw["lines"], raw["quarantined"]) == (physical + len(CAPTURES), 0)
    # the one capture that is not JSON is the only rejected input, and it is named by its own path
    rejected = query("SELECT kind, file FROM quarantine WHERE state = 'rejected'")
    assert rejected == [("invalid_json", str(agentos_dir / "ccusage" / "codex_invalid_sample.json"))]
    assert query("SELECT count(*) FROM quarantine WHERE source IN ('agentos', 'ccc_events')")[0][0] == 1
    meta = outcome.materialized["normalized_agentos"]["metadata"]
    by_ledger = meta["lines_by_ledger"]
    for p in LEDGER_FILES:
        kind = p.stem if p.parent.name != "proxy" else "proxy_lines"
        assert by_ledger[kind] >= len(_lines(p)), kind
    # every ledger line made rows in its table
    windows = sum(len(_lines(p)) for p in LEDGER_FILES if p.name == "windows.jsonl")
    assert query("SELECT count(DISTINCT (file, byte_offset)) FROM windows")[0][0] == windows
    assert query("SELECT count(*) FROM churn_records")[0][0] == len(_lines(AGENTOS_FIXTURE / "live" / "churn.jsonl"))
    snaps = sum(len(_lines(p)) for p in LEDGER_FILES if p.name == "snapshots.jsonl")
    assert query("SELECT ledger, count(*) FROM meter_snapshots GROUP BY 1 ORDER BY 1") == [
        ("ccc_usage", 2), ("claude_monitor", 1), ("snapshots", snaps)]
    assert query("SELECT count(*) FROM proxy_telemetry")[0][0] == 3
    assert query("""SELECT "window", prompts_used, origin FROM glm_counts WHERE "window" IS NOT NULL ORDER BY 1""") == [
        ("W0-02", 118.0, "ccusage_doc"), ("W0-CC", 118.0, "ingest")]
    # Codex ccusage: 51 sessions in the ledger capture (token kinds from its raw_text), 51 in the capture file
    assert query("""SELECT origin, count(*), count(input_tokens) FROM codex_usage WHERE scope = 'session'
                    GROUP BY 1 ORDER BY 1""") == [("ccusage_doc", 51, 51), ("ledger", 51, 51)]
    assert query("SELECT count(*) FROM codex_usage WHERE scope = 'session' AND NOT superseded")[0][0] == 51
    # old-style proxy sample lines: ISO ts, status "ok" -> 200, recorded
    sample = _lines(AGENTOS_FIXTURE / "proxy" / "telemetry_sample.jsonl")
    rows = query("SELECT rid, lane, status, status_text, provider, tokens_in, is_api_error FROM turns "
                 "WHERE source = 'agentos_proxy' ORDER BY ts")
    assert len(rows) == len(sample)
    assert rows[0] == ("R1", "baseline", 200, "ok", "anthropic", 1200, False)
    assert rows[1][4] == "zai"
    assert [r for r in rows if r[3] == "error"] == [("R3", "baseline", None, "error", "anthropic", 500, True)]


def test_window_supersede_rule_on_the_real_ledger(agentos_dir):
    assert materialize_all().success
    current = query("""SELECT "window", count(*) FROM windows WHERE NOT superseded GROUP BY 1 HAVING count(*) > 1""")
    assert current == []  # every window counts once
    chp2 = query("""SELECT finalized_at, capacity_raw, capacity_unit, notes, superseded FROM windows
                    WHERE "window" = 'W0-CHP-2' ORDER BY finalized_at""")
    assert len(chp2) == 2  # the first record stays as history
    first, corrected = chp2
    assert first[-1] is True and corrected[-1] is False
    assert corrected[3] == "week0 sprint codex window (updated)" and corrected[1:3] == (12.0, "pp")
    assert corrected[0] == datetime.fromisoformat("2025-10-20T03:54:36.564161+00:00")
    # same for the other corrected windows: the latest finalized_at wins
    assert query("""SELECT "window", capacity_raw, notes FROM windows WHERE NOT superseded
                    AND "window" IN ('W0-CHP-1', 'W0-CHP-3') ORDER BY 1""") == [
        ("W0-CHP-1", 5.0, "session005 window"), ("W0-CHP-3", 1.0, "after-corrected")]
    # 9 distinct windows across live/ and tracker/, day = finalized_at's day (UTC here)
    assert query("SELECT count(*) FROM windows WHERE NOT superseded")[0][0] == 9
    assert query("""SELECT day FROM windows WHERE "window" = 'W0-TEST'""")[0][0].isoformat() == "2025-10-18"
    # per provider: Codex fiveh_pct, Claude session_pct; features per provider; quality_score recorded
    assert query("""SELECT provider, features, capacity_raw, quality_score, quality_source FROM windows
                    WHERE "window" IN ('W0-21', 'W0-21C') ORDER BY 1""") == [
        ("claude", 2, 0.0, 1.0, "quality_score"), ("codex", 3, 11.0, 1.0, "quality_score")]
    assert query("""SELECT quality_source FROM windows WHERE "window" = 'W0-TEST'""")[0][0] == "quality"
    assert query("""SELECT errors FROM windows WHERE "window" = 'W0-20'""")[0][0] == ["codex meter: multi-pane-trimmed"]
