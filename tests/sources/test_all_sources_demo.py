"""Every source at once, on the demo generator's data: one run, nothing valid rejected, the joins hold."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import materialize_all, query
from tests.model.contract_rows import assert_rows_satisfy_contract

generate = pytest.importorskip("ccp_assets.demo.generate")
END = dt.date(2026, 2, 8)


def test_demo_data_of_every_source_in_one_run(ccp_env, monkeypatch):
    manifest = generate.write_demo_data(ccp_env.tmp / "demo", days=2, end=END)
    for k, v in manifest.env().items():
        monkeypatch.setenv(k, v)
    outcome = materialize_all()
    assert outcome is not None and outcome.success, outcome and outcome.failures
    assert query("SELECT source, kind, reason FROM quarantine WHERE state = 'rejected'") == []
    for asset in ("normalized_ccp_proxy", "normalized_agentos", "normalized_ccc_events", "normalized_repo"):
        assert outcome.materialized[asset]["metadata"]["rows"] > 0, asset
    assert outcome.materialized["unified_turns"]["metadata"]["rows"] > 0
    # every window id counts once; the planted corrections, duplicate and 5h reset behave as METRICS.md says
    assert query("""SELECT count(*) FROM (SELECT "window" FROM windows WHERE NOT superseded
                    GROUP BY 1 HAVING count(*) > 1)""")[0][0] == 0
    assert query("SELECT count(*) FROM windows WHERE duplicate")[0][0] >= 1
    assert query("""SELECT count(*) FROM windows WHERE NOT superseded
                    AND list_contains(list_transform(errors, e -> e LIKE '%weekly delta%'), true)""")[0][0] >= 1
    # GLM capacity (prompts) equals the zai completions the proxy logged that day
    glm = query("""SELECT w.day, w.capacity_raw, (SELECT count(*) FROM turns t WHERE t.source = 'ccp_proxy'
                       AND t.event = 'completion' AND t.lane = 'zai' AND t.day = w.day)
                   FROM windows w WHERE w.provider = 'glm' AND NOT w.superseded""")
    assert glm and all(cap == n for _, cap, n in glm)
    # CCC sessions join transcripts by session id
    assert query("""SELECT count(*) FROM sessions c JOIN sessions t USING (session_id, day)
                    WHERE c.source = 'ccc' AND t.source = 'claude_code'""")[0][0] > 0
    assert query("SELECT count(*) FROM commits")[0][0] == query(
        "SELECT count(DISTINCT sha) FROM commits")[0][0] > 0
    # every row of every table satisfies its table's model (model/contract.py)
    assert_rows_satisfy_contract()
