"""The first run as a new user has it (issue 15): `make run` on a home whose `~/.claude/projects` is empty.

`make run` is `install` + `scripts/run.sh`; this starts that script with an empty HOME that still has the
`~/.claude/projects` folder Claude Code creates at install (the trap: it used to count as a source, so no demo
data was written and the UI showed 1,063 missing partitions). Only ports and state folders are private.
After the ingest sensor's first run, Chromium checks what a team lead sees: the catalog and the partitions
page show the demo days materialized (not "22 missing"), `daily_summary` explains its numbers (USD, a
glossary of metric names) and shows the day's progress log as markdown.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import save_server_log
from tests.browser.dagster_server import DagsterServer, new_user_server
from tests.helpers import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

STATS_Q = """{ assetNodes { assetKey { path } isPartitioned
  partitionStats { numMaterialized numPartitions numFailed numMaterializing } } }"""
PROGRESS_Q = """{ assetOrError(assetKey: {path: ["daily_summary"]}) { ... on Asset {
  assetMaterializations(limit: 1) { partition metadataEntries { label ... on MarkdownMetadataEntry { mdStr } } } } } }"""


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, request):
    """scripts/run.sh on an empty home (with an empty ~/.claude/projects), after the sensor's first run."""
    tmp = tmp_path_factory.mktemp("first_run")
    (tmp / "home" / ".claude" / "projects").mkdir(parents=True)  # Claude Code installed, never used
    server, ccp_home = new_user_server(tmp, REPO)
    try:
        server.wait_ready(timeout=300)
        server.wait_idle(timeout=600)  # the ingest sensor sees the demo bytes and runs every layer over them
        yield server, json.loads((ccp_home / "demo" / "demo_manifest.json").read_text()), ccp_home
    finally:
        server.stop()
        save_server_log(request.node, server.log_path)


def _demo_days(manifest: dict, server: DagsterServer) -> list[str]:
    """The days the partitions must start at and cover: from the first day with data (CCP_START_DATE as
    run.sh exported it, read back from its log line) to the demo's last day."""
    said = re.search(r"partitions from (\d{4}-\d{2}-\d{2})", server.log_path.read_text(errors="replace"))
    assert said, server.log_tail()
    first, last = dt.date.fromisoformat(said.group(1)), dt.date.fromisoformat(manifest["end"])
    assert first <= dt.date.fromisoformat(manifest["start"]), (first, manifest)  # the proxy's result files come first
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def test_empty_claude_projects_still_gets_demo_data(first_run):
    server, manifest, _ = first_run
    log = server.log_path.read_text(errors="replace")
    assert "No source configured: writing demo data" in log, log[-3000:]
    assert manifest["sources"]["claude"]["lines"] > 0, manifest


def test_partitions_start_at_the_first_day_with_data_and_every_demo_day_is_materialized(first_run, page):
    server, manifest, _ = first_run
    days = _demo_days(manifest, server)
    nodes = [n for n in server.gql(STATS_Q)["assetNodes"] if n["isPartitioned"]]
    assert len(nodes) >= 20, nodes
    today = dt.datetime.now(dt.UTC).date()
    for n in nodes:
        st, key = n["partitionStats"], n["assetKey"]["path"][0]
        # Partitions: the data's days, then up to today (a partition too); nothing 30 days back.
        assert st["numPartitions"] == len(days) + (today - dt.date.fromisoformat(days[-1])).days, (key, st, days)
        assert st["numMaterialized"] == len(days) and st["numFailed"] == 0, (key, st, days)
        assert st["numPartitions"] - st["numMaterialized"] <= 2, (key, st)  # today (and the day just begun)

    want = len(days) + (today - dt.date.fromisoformat(days[-1])).days
    page.goto(f"{server.base}/assets")  # the catalog: each partitioned asset says how many partitions it has
    expect(page.get_by_role("link", name=re.compile("daily_summary")).first).to_be_visible(timeout=120_000)
    expect(page.get_by_text(re.compile(rf"\b{want} partitions$")).first).to_be_visible(timeout=120_000)
    counts = {int(n) for n in re.findall(r"(\d+) partitions\b", page.locator("body").inner_text())}
    assert counts == {want}, counts  # no asset with a wall of days before the data

    page.goto(f"{server.base}/assets/daily_summary?view=partitions")
    expect(page.get_by_text(f"Materialized ({len(days)})", exact=True)).to_be_visible(timeout=120_000)
    missing = page.get_by_text(re.compile(r"^Missing \(\d+\)$"))
    expect(missing).to_be_visible()
    assert int(re.search(r"\d+", missing.inner_text()).group()) <= 2, missing.inner_text()
    expect(page.get_by_text(days[0], exact=True).first).to_be_visible()


def test_daily_summary_speaks_plainly_and_shows_the_progress_log(first_run, page):
    server, _, ccp_home = first_run
    page.goto(f"{server.base}/assets/daily_summary")
    page.get_by_text("Show more").first.click()
    body = page.locator("body")
    # The description's glossary: each metric name in words, costs in US dollars.
    for words in ("Glossary", "US dollars", "Cognitive Load Score", "Interaction Minutes Per Feature",
                  "quality-adjusted efficiency"):
        expect(body).to_contain_text(words, timeout=120_000)
    for key in ("avg_cls", "e_q_<unit>", "cost_usd_total", "progress_log"):
        expect(page.get_by_text(re.compile(rf"^{re.escape(key)}: ")).first).to_be_visible()

    # The latest materialization's metadata: USD-named costs first, provisional remarks apart from errors.
    labels = [e["label"] for e in server.gql(PROGRESS_Q)["assetOrError"]["assetMaterializations"][0]
              ["metadataEntries"]]
    numbers = [k for k in labels if k not in ("tier", "rollups_dir")]
    assert numbers[0] == "cost_usd_total" and "notes" in labels and "errors" in labels, labels
    assert labels.index("sessions") < labels.index("avg_cls"), labels  # volume before quality, as plotted

    # progress.log.md's section of that day, as markdown in the UI, equal to the file's own section.
    mat = server.gql(PROGRESS_Q)["assetOrError"]["assetMaterializations"][0]
    md = next(e["mdStr"] for e in mat["metadataEntries"] if e["label"] == "progress_log")
    assert md.strip() in (ccp_home / "rollups" / "progress.log.md").read_text(), md
    row = page.get_by_role("row").filter(has=page.get_by_text("progress_log", exact=True))
    row.get_by_text("[Show Markdown]").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=mat["partition"])).to_be_visible()
    expect(dialog).to_contain_text("Shipped:")
    expect(dialog).to_contain_text("Capacity:")
    assert md.startswith(f"## {mat['partition']}") and "- Shipped:" in md, md
