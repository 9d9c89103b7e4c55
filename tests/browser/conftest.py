"""Browser fixtures: Debian's Chromium (never a downloaded browser) driven by Playwright, and failure artifacts.

On a failed test every open page is saved as `test-artifacts/browser/<test>-<n>.png` and `.html`, next to
the tail of the Dagster log (`<test>.dagster.log`) when the test ran a server.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "browser"
# Without the background-networking flags Chromium tries connections (updates, sync, field trials) that the
# machine refuses; the UI under test is on loopback only.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1600, "height": 1200}

_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    rep = outcome.get_result()
    item.stash.setdefault(_REPORTS, {})[rep.when] = rep


def failed(item: pytest.Item) -> bool:
    return any(r.failed for r in item.stash.get(_REPORTS, {}).values())


def artifact_stem(item: pytest.Item) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)


def _ensure_chromium() -> str | None:
    """None when /usr/bin/chromium is there (installed now through `make system-deps` if it was missing),
    else why it cannot be."""
    if CHROMIUM.exists():
        return None
    if os.geteuid() != 0 and not shutil.which("sudo"):
        return "not root and no sudo"
    r = subprocess.run(["make", "-C", str(REPO), "system-deps"], capture_output=True, text=True, timeout=900)
    if CHROMIUM.exists():
        return None
    return f"`make system-deps` exited {r.returncode}: {(r.stdout + r.stderr).strip()[-500:]}"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    reason = _ensure_chromium()
    if reason:
        pytest.skip(f"Debian's Chromium ({CHROMIUM}) is not installed and cannot be installed here: {reason}")
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def browser_context(chromium_path: str, tmp_path_factory: pytest.TempPathFactory, playwright_instance):
    """One headless Chromium for the session, with a fresh user-data-dir and HOME."""
    root = tmp_path_factory.mktemp("chromium")
    (root / "home").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCP_", "DAGSTER_"))}
    env.update({"HOME": str(root / "home"), "XDG_CONFIG_HOME": str(root / "home" / ".config"),
                "XDG_CACHE_HOME": str(root / "home" / ".cache")})
    pw = playwright_instance
    ctx = pw.chromium.launch_persistent_context(
        str(root / "user-data"), executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS,
        env=env, viewport=VIEWPORT, timezone_id="UTC", locale="en-US")
    ctx.set_default_timeout(60_000)  # 2 busy cores: the UI can take a while to render
    ctx.set_default_navigation_timeout(120_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(browser_context, request: pytest.FixtureRequest) -> Iterator:
    """A new tab; on failure every open tab is saved (screenshot + HTML) under test-artifacts/browser/."""
    pg = browser_context.new_page()
    yield pg
    if failed(request.node):
        stem = artifact_stem(request.node)
        for i, p in enumerate(p for p in browser_context.pages if p.url != "about:blank"):
            try:
                p.screenshot(path=f"{stem}-{i}.png", full_page=True)
                Path(f"{stem}-{i}.html").write_text(p.content(), encoding="utf-8")
            except Exception as exc:  # an artifact must never hide the real failure
                Path(f"{stem}-{i}.error.txt").write_text(repr(exc), encoding="utf-8")
    for p in list(browser_context.pages):
        p.close()


def save_server_log(item: pytest.Item, log_path: Path) -> None:
    """Copy a Dagster log next to the screenshots when the test failed."""
    if failed(item) and log_path.exists():
        shutil.copy(log_path, f"{artifact_stem(item)}.dagster.log")
