"""Issue 18, the `/team` dashboard in real Chromium (Debian's /usr/bin/chromium through Playwright), on
SQLite and on PostgreSQL: after two installs upload, the page shows each day's total cost (ccusage's, within
the parity rule) and both devices, logging in through the browser's own HTTP Basic prompt with the
operator token. A full-page screenshot is saved as test-artifacts/team/team-<store>.png either way."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, REPO, VIEWPORT
from tests.conftest import load_oracle

from .conftest import Operator, Served
from .team_installs import OPERATOR_TOKEN, installs

ARTIFACTS = REPO / "test-artifacts" / "team"

pytestmark = pytest.mark.browser


def money(text: str) -> float:
    return float(re.sub(r"[$,\s]", "", text))


def test_team_page_shows_each_days_cost_and_both_devices(
    serve: Callable[..., Served],
    operator: Operator,
    half_homes,
    tmp_path: Path,
    chromium_path: str,
    store_kind: str,
    playwright_instance,
) -> None:
    agg = serve(operator_token=OPERATOR_TOKEN)
    both = installs(half_homes, tmp_path, operator)
    for install in both:
        install.upload(operator, agg.url, tmp_path)
    short = sorted(i.expected_device_id()[:8] for i in both)
    oracle = {r["period"]: r["totalCost"] for r in load_oracle("ccusage-daily-utc.json")["daily"]}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pw = playwright_instance  # the process's one Playwright (tests/conftest.py says why)
    browser = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
    try:
        ctx = browser.new_context(
            viewport=VIEWPORT, http_credentials={"username": "operator", "password": OPERATOR_TOKEN}
        )
        page = ctx.new_page()
        response = page.goto(f"{agg.url}/team")
        try:
            assert response is not None and response.status == 200
            shown = {
                row.get_attribute("data-day"): (
                    money(row.locator("[data-testid=day-cost]").inner_text()),
                    sorted(row.locator("[data-testid=day-devices] span").all_inner_texts()),
                )
                for row in page.locator("#days tr[data-day]").all()
            }
            assert sorted(shown) == sorted(oracle)
            for day, cost in oracle.items():
                assert abs(shown[day][0] - cost) <= max(0.005 * cost, 0.005), day  # shown to the cent
            assert shown["2026-02-10"][1] == short and len(shown["2026-02-12"][1]) == 1
            assert page.locator("[data-testid=device-count]").inner_text() == "2"
            assert sorted(page.locator("span.device").all_inner_texts()) == short
            assert page.locator("svg[aria-label='Cost per day by model'] rect").count() >= 3
            assert page.locator("svg[aria-label='Cost per day by device'] rect").count() == 3
        finally:
            page.screenshot(path=str(ARTIFACTS / f"team-{store_kind}.png"), full_page=True)
        # a wrong token is refused: 401, and no dashboard in the page
        wrong = browser.new_context(http_credentials={"username": "operator", "password": "not-the-token"})
        refused = wrong.new_page()
        assert refused.goto(f"{agg.url}/team").status == 401
        assert refused.locator("#days").count() == 0
    finally:
        browser.close()
