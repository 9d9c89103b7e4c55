"""The Dagster UI as a user meets it, in Debian's Chromium, on demo data of every source.

One `dagster dev` (webserver + daemon, the repo's workspace.yaml) serves the whole module from a private
CCP_HOME / DAGSTER_HOME. The daemon's ingest sensor sees the demo data as new bytes at start and runs its
days; the steps below start once that is done:

1. the UI answers (module fixture);
2. Global asset lineage shows every layer group and, expanded, every asset in it;
3. one demo day materialized from the UI (job → Materialize all… → the day → Launch 1 run) succeeds;
4. `daily_summary`'s partition page shows that run's metadata (turns, cost_usd_total, preview table);
5. a 3-day backfill from the UI becomes ONE run (single-run backfill policy) that succeeds;
6. the nightly_rollup schedule and every sensor are RUNNING on the Automation page.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import save_server_log
from tests.browser.dagster_server import DagsterServer, free_port, instance_yaml
from tests.browser.ui import RUN_TIMEOUT_MS, automation_row, is_shown, launch_job_partitions, shown_names
from tests.helpers import REPO

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

DEMO_DAYS = 4  # the last day alone (step 3), the three before it as one backfill (step 5)
LAYER_GROUPS = {"raw", "normalized", "measurements", "rollups"}
DAILY_SUMMARY_Q = """query($day: String!) { assetOrError(assetKey: {path: ["daily_summary"]}) { ... on Asset {
  assetMaterializations(partitions: [$day], limit: 1) { runId partition metadataEntries { label __typename
    ... on IntMetadataEntry { intValue } ... on FloatMetadataEntry { floatValue }
    ... on MarkdownMetadataEntry { mdStr } } } } } }"""


class Demo:
    """The running UI, its environment and the demo days; `state` carries ids from step to step."""

    def __init__(self, server: DagsterServer, env: dict[str, str], start: dt.date, end: dt.date) -> None:
        self.server = server
        self.base = server.base
        self.env = env
        self.days = [(start + dt.timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
        self.state: dict[str, str] = {}


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory):
    """What `ccp_env` gives a test (private CCP_HOME and DAGSTER_HOME with the repo's dagster.yaml, every
    CCP_* setting cleared, private HOME, UTC days), pointed at `ccp demo-data`, served by `dagster dev`."""
    from ccp_assets.demo import write_demo_data

    tmp = tmp_path_factory.mktemp("dagster_ui")
    dagster_home = tmp / "dagster_home"
    dagster_home.mkdir()
    instance_yaml(dagster_home, REPO)  # the repo's, dequeuing each second
    (tmp / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCP_", "DAGSTER_", "CLAUDE_"))}
    env.update({"CCP_HOME": str(tmp / "ccp_home"), "DAGSTER_HOME": str(dagster_home), "CCP_TIMEZONE": "UTC",
                "HOME": str(tmp / "home")})
    manifest = write_demo_data(tmp / "demo", days=DEMO_DAYS)
    env.update(manifest.env())  # CLAUDE_CONFIG_DIR, CCP_USAGE_LOG_DIR, ..., CCP_START_DATE before the first day
    port = free_port()
    server = DagsterServer([str(REPO / ".venv" / "bin" / "dagster"), "dev", "-w", "workspace.yaml",
                            "-h", "127.0.0.1", "-p", str(port)], env, REPO, tmp / "dagster-dev.log", port)
    try:
        server.wait_ready()
        server.wait_idle()
        yield Demo(server, env, manifest.start, manifest.end)
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _server_log_on_failure(ui: Demo, request: pytest.FixtureRequest):
    yield
    save_server_log(request.node, ui.server.log_path)


def test_asset_graph_shows_every_layer_group_and_its_assets(ui: Demo, page):
    nodes = ui.server.gql("{ assetNodes { assetKey { path } groupName } }")["assetNodes"]
    groups: dict[str, list[str]] = {}
    for n in nodes:
        groups.setdefault(n["groupName"], []).append(n["assetKey"]["path"][-1])
    assert set(groups) >= LAYER_GROUPS, f"layer groups missing from the definitions: {sorted(groups)}"

    page.goto(ui.base)
    page.get_by_role("link", name="Lineage").click()
    expect(page.get_by_text("Global asset lineage", exact=True)).to_be_visible()
    graph = page.locator("foreignObject")
    for group in sorted(groups):  # collapsed: one node per group
        expect(graph.get_by_text(group, exact=True).first).to_be_visible()

    page.get_by_role("button", name="settings", exact=True).click()
    page.get_by_role("menuitem", name="Expand all groups").click()
    expect(page.get_by_role("menuitem", name="Collapse all groups")).to_be_visible()
    page.keyboard.press("Escape")
    # The graph draws only what is in view, and nothing but group titles when far out: zoom out step by step
    # until every asset has been drawn at some zoom level.
    seen: set[str] = set()
    missing: dict[str, list[str]] = {}
    for _ in range(10):
        page.wait_for_timeout(500)  # the layout settles over a few frames
        seen |= set(shown_names(page))
        missing = {g: [a for a in assets if not is_shown(a, list(seen))] for g, assets in groups.items()}
        missing = {g: a for g, a in missing.items() if a}
        zoom_out = page.get_by_role("button", name="zoom_out", exact=True)
        if not missing or not zoom_out.is_enabled():
            break
        zoom_out.click()
    assert not missing, f"assets not drawn in their expanded groups: {missing}"
    assert set(groups) <= seen, f"group boxes without a title: {sorted(set(groups) - seen)}"


def test_materialize_one_day_from_the_ui(ui: Demo, page):
    day = ui.days[-1]
    href = launch_job_partitions(page, ui.base, "ccp_daily", day, "1 partition", "Launch 1 run")
    run_id = href.rsplit("/", 1)[-1]
    run = ui.server.wait_run_success(run_id)
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags.get("dagster/partition") == day, tags
    # The run page (opened from the toast) follows the run to its end.
    expect(page.get_by_text(f"partition: {day}", exact=True)).to_be_visible()
    expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    ui.state["day"], ui.state["day_run"] = day, run_id


def test_daily_summary_shows_the_days_metadata(ui: Demo, page):
    day = ui.state.get("day", ui.days[-1])
    mats = ui.server.gql(DAILY_SUMMARY_Q, {"day": day})["assetOrError"]["assetMaterializations"]
    assert mats, f"daily_summary has no materialization for {day}"
    meta = {e["label"]: e for e in mats[0]["metadataEntries"]}
    assert {"turns", "cost_usd_total", "preview"} <= set(meta), sorted(meta)
    turns, cost = (meta[k].get("intValue", meta[k].get("floatValue")) for k in ("turns", "cost_usd_total"))
    assert turns and turns > 0 and cost and cost > 0, meta
    table_rows = [line for line in meta["preview"]["mdStr"].splitlines() if line.startswith("|")]
    first_model = table_rows[2].strip("|").split("|")[0].strip()  # header, separator, first row

    page.goto(f"{ui.base}/assets/daily_summary?view=partitions&partition={day}")
    expect(page.get_by_text("Materialized", exact=True).first).to_be_visible()
    if "day_run" in ui.state:  # the latest materialization of the day is the run launched from the UI
        expect(page.get_by_role("link", name=ui.state["day_run"][:8], exact=True).first).to_be_visible()

    def row(label: str):
        return page.get_by_role("row").filter(has=page.get_by_text(label, exact=True))

    shown = row("turns").get_by_role("cell").nth(1)  # label, value
    expect(shown).to_be_visible()
    assert float(re.sub(r"[^\d.]", "", shown.inner_text())) == turns, shown.inner_text()
    expect(row("cost_usd_total")).to_contain_text(re.compile(r"\d+\.\d+"))
    preview = row("preview")
    expect(preview.locator("table")).to_be_visible()
    expect(preview).to_contain_text(first_model)


def test_three_day_backfill_is_one_run(ui: Demo, page):
    first, last = ui.days[0], ui.days[2]
    href = launch_job_partitions(page, ui.base, "ccp_daily", f"[{first}...{last}]", "3 partitions",
                                 "Launch backfill")
    backfill_id = href.rsplit("/", 1)[-1]
    b = ui.server.wait_backfill(backfill_id)
    assert b["partitionNames"] == ui.days[0:3], b
    assert len(b["runs"]) == 1, f"a 3-day backfill made {len(b['runs'])} runs: {b['runs']}"
    run = b["runs"][0]
    assert run["status"] == "SUCCESS", f"{run}\n{ui.server.failure_summary(run['runId'])}"
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert (tags.get("dagster/asset_partition_range_start"), tags.get("dagster/asset_partition_range_end")) \
        == (first, last), tags
    assert b["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), b

    # The backfill page (opened from the toast): succeeded, and its Runs tab lists the one run.
    expect(page.get_by_text("Succeeded", exact=True).first).to_be_visible(timeout=RUN_TIMEOUT_MS)
    page.get_by_role("tab", name="Runs").click()
    run_links = page.locator('a[href^="/runs/"]').filter(has_text=re.compile(r"^\s*[0-9a-f]{8}\s*$"))
    expect(run_links).to_have_count(1)
    expect(run_links).to_have_text(run["runId"][:8])
    expect(page.get_by_text("Success", exact=True).first).to_be_visible()


def test_schedule_and_sensors_are_running(ui: Demo, page):
    sensors, schedules = ui.server.automation()
    assert schedules.get("nightly_rollup", {}).get("status") == "RUNNING", schedules
    assert all(s["status"] == "RUNNING" for s in sensors.values()), sensors

    page.goto(ui.base)
    page.get_by_role("link", name="Automation").click()
    for kind, name in [("schedules", "nightly_rollup"), *(("sensors", s) for s in sorted(sensors))]:
        row = automation_row(page, kind, name)
        expect(row).to_be_visible()
        expect(row.get_by_role("checkbox").last).to_be_checked()  # the on/off switch (first: row select)

    automation_row(page, "schedules", "nightly_rollup").get_by_role("link").first.click()
    expect(page.get_by_text("Running", exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"At 02:00 AM UTC")).first).to_be_visible()

