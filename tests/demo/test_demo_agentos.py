"""AgentOS ledgers: corrections, duplicates, bar resets, and joins with the other sources."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from pathlib import Path

import jsonschema

from tests.demo.conftest import Corpus, split_objects

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "schemas-v1-agentos"


def test_windows_have_corrections_duplicates_and_a_reset(corpus: Corpus) -> None:
    raw = (corpus.out / "agentos" / "windows.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x) for x in raw]
    by_id: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_id[r["window"]].append(r)
    corrected = [w for w, rs in by_id.items() if len({r["finalized_at"] for r in rs}) > 1]
    assert corrected, "one window is superseded by a later finalized_at"
    early, late = sorted(by_id[corrected[0]], key=lambda r: r["finalized_at"])
    assert rows.index(late) > rows.index(early) and late["providers"] != early["providers"]
    assert any(n > 1 for n in Counter(raw).values()), "an exact duplicate line"
    providers = {p for r in rows for p in r["providers"]}
    assert providers == {"codex", "claude", "glm"}
    reset = [r for r in rows if "codex" in r["providers"] and r["providers"]["codex"]["delta"]["fiveh_pct"] < 0]
    assert reset and reset[0]["providers"]["codex"]["delta"]["weekly_pct"] > 0 and reset[0]["features"]["codex"] > 0
    claude = [r["providers"]["claude"] for r in rows if "claude" in r["providers"]]
    assert all({"session_pct", "all_models_pct", "opus_pct"} <= set(p["delta"]) for p in claude)
    assert any("quality_score" in r for r in rows) and any("quality_score" not in r for r in rows)


def test_glm_counts_equal_proxy_zai_completions(corpus: Corpus) -> None:
    per_day: Counter[str] = Counter()
    for path in (corpus.out / "ccp").glob("usage*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for r in split_objects(line):
                if r.get("lane") == "zai" and r.get("status") == 200:
                    per_day[dt.datetime.fromtimestamp(r["ts"], dt.UTC).date().isoformat()] += 1
    glm = corpus.ledger("glm_counts.jsonl")
    assert len(glm) == 7
    windows = {r["window"]: r for r in corpus.ledger("windows.jsonl") if "glm" in r["providers"]}
    for g in glm:
        w = windows[g["window"]]
        day = w["providers"]["glm"]["captured_at"]["after"][:10]
        assert g["prompts_used"] == per_day[day] == w["providers"]["glm"]["delta"]["prompts_used"]


def test_churn_points_at_real_commits(corpus: Corpus) -> None:
    import subprocess

    shas = set(subprocess.run(["git", "log", "--format=%H"], cwd=corpus.out / "repo", capture_output=True, text=True,
                              check=True).stdout.split())
    churn = corpus.ledger("churn.jsonl")
    assert churn and all(c["commit_start"] in shas and c["commit_end"] in shas for c in churn)
    assert any(c["deletions"] > 0 for c in churn)
    for name in ("snapshots.jsonl", "codex_ccusage.jsonl", "proxy_telemetry.jsonl", "claude_monitor.jsonl"):
        assert corpus.ledger(name), name


def test_ccc_events_follow_the_v1_schemas(corpus: Corpus) -> None:
    schemas = {p.stem: json.loads(p.read_text()) for p in SCHEMAS.glob("*.json")}
    sessions = {p.stem for p in corpus.session_files()}
    kinds: Counter[str] = Counter()
    for e in corpus.ledger("ccc_events.jsonl"):
        kinds[e["type"]] += 1
        for entity, schema in schemas.items():
            if entity in e:
                jsonschema.validate(e[entity], schema)
        if e["type"] == "session":
            assert e["session"]["session_id"] in sessions
    assert set(kinds) == {"session", "turn", "session_end"} and kinds["session"] == len(sessions)
    assert kinds["session"] == kinds["session_end"]
    full = [e for e in corpus.ledger("ccc_events.jsonl") if "measurement" in e]
    assert full and all({"feature", "value", "decision", "cost"} <= set(e) for e in full)
