"""Issue 14's secret kinds, one by one: a span holding one is dropped whole, and `mask` (for log lines,
errors and check messages) leaves none of its core behind; gitleaks' examples are masked too."""

from __future__ import annotations

import pytest

from ccp_assets.privacy.redact import Redactor, mask_text, mask_value

from .secret_kinds import ISSUE_KINDS, gitleaks_examples


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor.from_rules(include_login=False)


@pytest.mark.parametrize("kind", sorted(ISSUE_KINDS))
def test_issue_kind_is_dropped_from_spans_and_masked_in_messages(redactor: Redactor, kind: str) -> None:
    text, core = ISSUE_KINDS[kind]
    result = redactor.redact(f"step 1 done; {text}; next")
    assert core not in result.text
    assert result.dropped or kind == "home_path"  # a home path is replaced, the rest of the span kept
    masked = redactor.mask(f"drift: column model has values outside its set: {text} (3 rows)")
    assert core not in masked and masked.startswith("drift: column model has values outside its set: ")


def test_every_gitleaks_example_is_masked(redactor: Redactor) -> None:
    leaks = [(rule, core) for rule, example, core in gitleaks_examples() if core in redactor.mask(example)]
    assert leaks == []


def test_mask_helpers_walk_values() -> None:
    text, core = ISSUE_KINDS["github"]
    out = mask_value({"examples": [text, 3, None], "what": f"values {text}", "n": 1.5})
    assert core not in repr(out) and out["n"] == 1.5 and out["examples"][1:] == [3, None]
    assert core not in mask_text(text) and mask_text("plain words stay") == "plain words stay"
