import time, datetime as dt
from tests.helpers import materialize_all, query

def test_demo(ccp_env, monkeypatch):
    from ccp_assets.demo.generate import write_demo_data
    m = write_demo_data(ccp_env.tmp / "demo", days=2, end=dt.date(2026, 2, 8))
    for k, v in m.env().items():
        monkeypatch.setenv(k, v)
    t0 = time.time()
    out = materialize_all()
    print("secs", time.time() - t0)
    assert out.success, out.failures
    for k, v in out.materialized.items():
        print(k, v["metadata"])
    for r in query("select source, stage, kind, state, count(*), any_value(reason) from quarantine group by all"): print(r)
    for r in query("select source, count(*), count(type_drift) from turns group by all"): print(r)
    for r in query('select "window", provider, capacity_raw, capacity_unit, superseded, duplicate, errors from windows order by "window", finalized_at'): print(r)
    for r in query("select sources, provider, match_rule, count(*) from unified_turns group by all"): print(r)
    for r in query("select feature_id, day, status, scenarios, scenarios_passed, tests_passed, tests_failed from features where source='repo' order by day, feature_id"): print(r)
