"""A new user who follows only the README gets from `make run` to a materialized day in the UI.

`make run` is `install` + `scripts/run.sh`; this runs that script as a fresh user has it: no source
configured (an empty HOME, no CLAUDE_CONFIG_DIR / CCP_* settings), so it writes demo data itself and
starts `dagster dev`. Only the ports and state directories are private (DAGSTER_PORT, CCP_HOME, and a
DAGSTER_HOME holding the repo's dagster.yaml, as the default `dagster_home/` does). Then, as the README
says: open the UI, select a day, Materialize, and see it materialized.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import save_server_log
from tests.browser.dagster_server import new_user_server
from tests.browser.ui import RUN_TIMEOUT_MS, launch_job_partitions
from tests.helpers import REPO

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

MATERIALIZATIONS_Q = """query($day: String!) { assetOrError(assetKey: {path: ["daily_summary"]}) { ... on Asset {
  assetMaterializations(partitions: [$day], limit: 10) { runId partition } } } }"""


@pytest.fixture
def fresh_user(tmp_path, request):
    """scripts/run.sh started as a new user: (server, CCP_HOME). Stopped, with every child, afterwards."""
    server, ccp_home = new_user_server(tmp_path, REPO)
    try:
        yield server, ccp_home
    finally:
        server.stop()
        save_server_log(request.node, server.log_path)


def test_make_run_on_a_fresh_machine_reaches_a_materialized_day(fresh_user, page):
    server, ccp_home = fresh_user
    server.wait_ready()
    log = server.log_path.read_text(errors="replace")
    assert "No source configured: writing demo data" in log, log[-3000:]
    assert f"Dagster UI: {server.base}" in log, log[-3000:]
    manifest = json.loads((ccp_home / "demo" / "demo_manifest.json").read_text())
    day = manifest["end"]
    assert dt.date.fromisoformat(day) < dt.datetime.now(dt.UTC).date()
    server.wait_idle()  # the ingest sensor's first run over the demo days

    # README: "Open http://127.0.0.1:3000 … Assets → Global asset lineage … Select a day and Materialize".
    page.goto(server.base)
    page.get_by_role("link", name="Lineage").click()
    expect(page.get_by_text("Global asset lineage", exact=True)).to_be_visible()
    for group in ("raw", "normalized", "measurements", "rollups"):
        expect(page.locator("foreignObject").get_by_text(group, exact=True).first).to_be_visible()
    href = launch_job_partitions(page, server.base, "ccp_daily", day, "1 partition", "Launch 1 run")
    run_id = href.rsplit("/", 1)[-1]
    server.wait_run_success(run_id)
    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=RUN_TIMEOUT_MS)

    # The day is materialized by that run, in the UI and on disk.
    mats = server.gql(MATERIALIZATIONS_Q, {"day": day})["assetOrError"]["assetMaterializations"]
    assert run_id in {m["runId"] for m in mats}, mats
    page.goto(f"{server.base}/assets/daily_summary?view=partitions&partition={day}")
    expect(page.get_by_text("Materialized", exact=True).first).to_be_visible()
    expect(page.get_by_role("link", name=run_id[:8]).first).to_be_visible()
    summary = json.loads((ccp_home / "rollups" / day / "metrics_summary.json").read_text())
    assert summary["turns"] > 0, summary
