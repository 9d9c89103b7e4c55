import shutil
from tests.helpers import materialize_all, query
from tests.conftest import FIXTURES

def test_ag(ccp_env, monkeypatch):
    dst = ccp_env.tmp / "agentos"
    shutil.copytree(FIXTURES / "agentos", dst)
    monkeypatch.setenv("CCP_AGENTOS_DATA_DIR", str(dst))
    out = materialize_all()
    assert out.success, out.failures
    print(out.materialized["normalized_agentos"])
    print(out.materialized["raw_agentos"])
    for r in query("select * from quarantine"): print(r)
    for r in query("select window, provider, day, finalized_at, features, capacity_raw, capacity_unit, quality_score, superseded, duplicate, errors from windows order by finalized_at"): print(r)
    for t in ["glm_counts", "churn_records", "meter_snapshots", "codex_usage", "proxy_telemetry"]:
        print(t, query(f"select count(*), count(*) filter (where superseded) from {t}") if t in ("glm_counts","churn_records","codex_usage") else query(f"select count(*) from {t}"))
    print(query("select source, turn_id, status, status_text, provider, tokens_in, type_drift from turns"))
