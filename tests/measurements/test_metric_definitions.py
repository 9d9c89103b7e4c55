"""METRICS.md's definitions on the real AgentOS fixtures plus hand-built git history, transcript and proxy summary
(issue 13), every expected value worked out by hand here. One real Dagster run over 2025-10-18 .. 2025-10-20, the
first run of an install: nothing was materialized before, although the repository has older history.

- GLM: the tracker's glm_counts.jsonl line of 2025-10-18 (window W0-CC, 118 prompts) has no GLM block in
  windows.jsonl (the real ledgers never write one).
- Git (files are .txt only, so the four code inputs of CLS are 0 every day and have no spread):
    c1 2025-10-10  x/a.txt (10 lines)
    c2 2025-10-12  y/b.txt, y/c.txt
    c3 2025-10-15  z/d.txt, x/e.txt, y/f.txt
    c4 2025-10-18  x/a.txt -> w/a.txt with line 5 changed (a rename: 90 % similar), y/new.txt (2 lines)
    c5 2025-10-19  y/new.txt line 1 changed
- A transcript of 2025-10-18 with a text prompt (a two-block response, then a tool round trip) and an image prompt.
- A proxy METRICS summary of 2025-10-20, a day without a raw proxy log.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from datetime import datetime

import pytest

from tests.conftest import FIXTURES
from tests.helpers import materialize_all, query
from tests.measurements.conftest import commit, git, isolated_env, summary, utc, window

D18, D19, D20 = "2025-10-18", "2025-10-19", "2025-10-20"
FIXTURE_MTIME = utc(2025, 10, 20, 12).timestamp()
TEN = "".join(f"{i}\n" for i in range(1, 11))


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _line(uuid: str, parent: str | None, t: datetime, kind: str, **kw) -> dict:
    return {"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": "/w/app", "sessionId": "s-img",
            "version": "2.1.39", "gitBranch": "main", "type": kind, "uuid": uuid, "timestamp": _iso(t), **kw}


def _assistant(uuid: str, parent: str, t: datetime, mid: str, block: dict, out: int) -> dict:
    return _line(uuid, parent, t, "assistant", requestId=f"req_{mid}", message={
        "id": mid, "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929", "content": [block],
        "usage": {"input_tokens": 100, "output_tokens": out, "cache_creation_input_tokens": 0,
                  "cache_read_input_tokens": 0}})


def _transcript() -> list[dict]:
    text = {"type": "text", "text": "ok"}
    return [
        _line("u1", None, utc(2025, 10, 18, 9, 0, 0), "user", message={"role": "user", "content": "fix it"}),
        _assistant("a1a", "u1", utc(2025, 10, 18, 9, 0, 5), "msg_1", text, 10),
        _assistant("a1b", "a1a", utc(2025, 10, 18, 9, 0, 7), "msg_1",
                   {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}, 40),
        _line("t1", "a1b", utc(2025, 10, 18, 9, 0, 9), "user", toolUseResult={"stdout": "ok"}, message={
            "role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]}),
        _assistant("a2", "t1", utc(2025, 10, 18, 9, 0, 12), "msg_2", text, 20),
        _line("u2", "a2", utc(2025, 10, 18, 9, 1, 0), "user", message={"role": "user", "content": [
            {"type": "text", "text": "what is wrong here?"},
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}]}),
        _assistant("a3a", "u2", utc(2025, 10, 18, 9, 1, 4), "msg_3", text, 5),
        _assistant("a3b", "a3a", utc(2025, 10, 18, 9, 1, 6), "msg_3", text, 30),
    ]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("defs")
    agentos = shutil.copytree(FIXTURES / "agentos", tmp / "agentos")
    for p in [agentos, *agentos.rglob("*")]:
        p.chmod(p.stat().st_mode | 0o200)
        if p.is_file():
            os.utime(p, (FIXTURE_MTIME, FIXTURE_MTIME))
    # a window of the rename day without a recorded quality: quality = 1 - churn_14d of its day
    (agentos / "hand").mkdir()
    (agentos / "hand" / "windows.jsonl").write_text(json.dumps(
        window("W-rename", utc(2025, 10, 18, 20), "codex", 1, {"fiveh_pct": 5, "weekly_pct": 1})) + "\n")

    repo = tmp / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, {"x/a.txt": TEN}, utc(2025, 10, 10, 12), "c1")
    commit(repo, {"y/b.txt": "b\n", "y/c.txt": "c\n"}, utc(2025, 10, 12, 12), "c2")
    commit(repo, {"z/d.txt": "d\n", "x/e.txt": "e\n", "y/f.txt": "f\n"}, utc(2025, 10, 15, 12), "c3")
    commit(repo, {"x/a.txt": None, "w/a.txt": TEN.replace("5\n", "five\n"), "y/new.txt": "n1\nn2\n"},
           utc(2025, 10, 18, 12), "c4")
    commit(repo, {"y/new.txt": "N1\nn2\n"}, utc(2025, 10, 19, 12), "c5")

    claude = tmp / "claude" / "projects" / "-w-app"
    claude.mkdir(parents=True)
    (claude / "s-img.jsonl").write_text("".join(json.dumps(x) + "\n" for x in _transcript()))

    proxy = tmp / "proxy"
    (proxy / "results").mkdir(parents=True)
    (proxy / "results" / f"METRICS-{D20}.json").write_text(json.dumps({
        "schema": "ccp.metrics.v1", "date": D20, "generated_at": f"{D20}T23:59:00Z", "total_requests": 36,
        "byLane": {"anthropic": {"count": 30, "errors": 4, "input_tokens": 900, "output_tokens": 90,
                                 "p50_ms": 800.0, "p95_ms": 3000.0},
                   "zai": {"count": 6, "errors": 0, "input_tokens": 300, "output_tokens": 30,
                           "p50_ms": 1000.0, "p95_ms": 2000.0}},
        "decisions": {"pass_through": 30, "forced_model": 6}, "errors_by_type": {"5xx": 4}}, indent=2))

    with isolated_env(tmp, {"CCP_AGENTOS_DATA_DIR": str(agentos), "CCP_REPO_DIR": str(repo),
                            "CLAUDE_CONFIG_DIR": str(tmp / "claude"), "CCP_USAGE_LOG_DIR": str(proxy)}) as home:
        outcome = materialize_all(D18, D20)
        assert outcome is not None and outcome.success, outcome and outcome.failures
        yield home


def test_glm_counts_without_a_glm_window_block_are_capacity_on_their_day(world):
    s = summary(world, D18)
    # glm_counts.jsonl: window W0-CC captured 2025-10-18T19:38Z, prompts_used 118; windows.jsonl has no GLM block
    assert s["capacity_used"]["prompts"] == 118.0
    # no window recorded a GLM feature against them: 0 features / 118 prompts
    assert s["efficiency_by_provider"]["glm"] == {"features": 0, "capacity": 118.0, "capacity_unit": "prompts",
                                                  "e": 0.0, "e_q": 0.0}
    # no GLM call in any log that day: priced at plan price / prompt cap (GLM Coding Pro: $30 / 86,400 prompts)
    assert s["cost_usd_by_model"]["glm"] == pytest.approx(118 * 30 / 86_400, abs=1e-6)
    assert any("glm_counts" in e and "118" in e for e in s["errors"])


def test_a_rename_adds_only_the_lines_it_changed(world):
    # c4 by git (`git log --numstat -M`): w/a.txt renamed from x/a.txt, 1 line added (line 5); y/new.txt 2 lines
    files = [json.loads(f) if isinstance(f, str) else f for f in query("SELECT files FROM commits WHERE subject = 'c4'")[0][0]]
    assert [(f["path"], f.get("old_path"), f["added"], f["deleted"]) for f in sorted(files, key=lambda f: f["path"])] \
        == [("w/a.txt", "x/a.txt", 1, 1), ("y/new.txt", None, 2, 0)]
    # 3 lines added on 2025-10-18; c5 (one day later) rewrites y/new.txt's first line: 1 churned in 7/14/28 days.
    # The 9 moved lines are neither added nor churned (no rename detection: 12 added, 10 churned).
    row = query("SELECT lines_added, churned_7d, churned_14d, churned_28d, churn_14d FROM churn_daily WHERE day = ?",
                [D18])[0]
    assert row[:4] == (3, 1, 1, 1) and row[4] == pytest.approx(1 / 3)
    # the window without a recorded quality: 1 - churn_14d = 2/3 (inside [0.5, 1]; the rename made it 0.5)
    (q,) = query("""SELECT quality_score FROM efficiency_windows WHERE "window" = 'W-rename'""")[0]
    assert q == pytest.approx(1 - 1 / 3)


def test_cls_of_the_first_materialized_day_is_scored_against_git_history(world):
    # Day ranges of main's history in 2025-10-18's trailing 90 days (files touched, modules):
    #   10-10 (1, 1)  10-12 (2, 1)  10-15 (3, 3)  10-18 (3, 3: x/a.txt, w/a.txt, y/new.txt in x, w, y)
    files, modules = [1, 2, 3, 3], [1, 1, 3, 3]
    mean_f = sum(files) / 4                                                       # 2.25
    std_f = math.sqrt(sum((x - mean_f) ** 2 for x in files) / 4)                  # sqrt(0.6875) = 0.829156
    z_files = (3 - mean_f) / std_f                                                # 0.904534
    mean_m = sum(modules) / 4                                                     # 2
    z_modules = (3 - mean_m) / math.sqrt(sum((x - mean_m) ** 2 for x in modules) / 4)   # 1 / 1
    row = query("SELECT files_touched, module_spread, z_files_touched, z_module_spread, z_plan_size_kb, cls "
                "FROM cls_features WHERE scope = 'day' AND day = ?", [D18])[0]
    assert row[:2] == (3.0, 3.0)
    assert row[2:5] == pytest.approx((0.904534, 1.0, 0.0), abs=1e-6)
    assert row[2] == pytest.approx(z_files, abs=1e-9) and row[3] == z_modules
    assert row[5] == pytest.approx(0.25 * 0.904534 + 0.20 * 1.0, abs=1e-6)         # 0.426134, was always 0


def test_image_prompts_make_image_turns_and_latency_comes_from_timestamps(world):
    rows = query("SELECT message_id, input_kind, latency_ms FROM turns WHERE source = 'claude_code' ORDER BY ts")
    # msg_1 answers the text prompt u1 (09:00:00) with two blocks, the last at 09:00:07: 7 s;
    # msg_2 answers the tool result t1 (09:00:09) at 09:00:12: 3 s;
    # msg_3 answers the image prompt u2 (09:01:00) with blocks at :04 and :06 (the kept line's parent is a3a): 6 s
    assert rows == [("msg_1", "text", 7000.0), ("msg_2", "text", 3000.0), ("msg_3", "image", 6000.0)]


def test_proxy_summary_days_count_completions_as_the_lanes_count(world):
    # METRICS-2025-10-20.json: anthropic count 30 (completions) + errors 4 = 34 requests; zai 6 + 0
    rows = query("SELECT lane, source, requests, completions, error_count FROM routing_daily WHERE day = ? "
                 "ORDER BY lane", [D20])
    assert rows == [("anthropic", "summary", 34, 30, 4), ("zai", "summary", 6, 6, 0)]
