"""The browser fixtures of tests/browser (Debian's Chromium through Playwright, failure screenshots), shared here."""

from tests.browser.conftest import (  # noqa: F401 - fixtures and the report hook, re-exported for this folder
    browser_context,
    chromium_path,
    page,
    pytest_runtest_makereport,
)
