"""What a user does in the Dagster 1.13 UI, as Playwright steps with text and role based selectors."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.dagster_server import LOCATION

RUN_TIMEOUT_MS = 240_000


def launch_job_partitions(page: Page, base: str, job: str, partitions: str, selected: str, button: str) -> str:
    """Job page → "Materialize all…" → type the partitions (a key or `[a...b]`) → launch.

    `selected` is what the dialog must then count ("1 partition", "3 partitions") and `button` the launch
    button it offers ("Launch 1 run" for one partition, "Launch backfill" for a range). Clicks the toast's
    "View" and returns its path: `/runs/<run id>` or `/runs/b/<backfill id>`.
    """
    page.goto(f"{base}/locations/{LOCATION}/jobs/{job}")
    page.get_by_role("button", name="Materialize all").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    box = dialog.get_by_placeholder("No matching partitions")
    box.fill(partitions)
    box.press("Enter")
    expect(dialog.get_by_text(selected, exact=True)).to_be_visible()
    dialog.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_text(re.compile(r"^(Launched run|Created backfill) \w+"))).to_be_visible(timeout=60_000)
    view = page.get_by_role("link", name="View", exact=True).first
    href = view.get_attribute("href") or ""
    assert href.startswith("/runs/"), f"the launch toast links to {href!r}"
    view.click()
    page.wait_for_url(re.compile(re.escape(href) + r"(\?.*)?$"))
    return href


def shown_names(page: Page) -> list[str]:
    """The words the asset graph draws (its nodes are HTML inside SVG foreignObjects)."""
    texts = page.locator("foreignObject").evaluate_all("els => els.map(e => e.textContent || '')")
    return re.findall(r"[\w…]+", " ".join(texts))


def is_shown(name: str, words: list[str]) -> bool:
    """The name in full, or middle-truncated as the zoomed-out graph draws it (`normalized_c…_code`)."""
    for w in words:
        if w == name:
            return True
        if "…" in w:
            head, _, tail = w.partition("…")
            if name.startswith(head) and name.endswith(tail) and len(head) + len(tail) < len(name):
                return True
    return False


def automation_row(page: Page, kind: str, name: str):
    """The row of a schedule (`kind` = "schedules") or sensor ("sensors") on the Automation page."""
    return page.locator("[data-index]").filter(has=page.locator(f'a[href$="/{kind}/{name}"]'))
