"""Issue 17's shape rule, kept true: every module of the package reads in one sitting (at most 400 lines)."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ccp_assets"
LIMIT = 400


def test_no_module_is_over_400_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert not long, f"split these modules (lines): {long}"
