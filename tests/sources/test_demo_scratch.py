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
    from dagster import DagsterInstance
    with DagsterInstance.get() as inst:
        for s in inst.get_run_step_stats(out.run_id):
            print(s.step_key, round(s.end_time - s.start_time, 2))
