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


def test_drift_report_messages_are_masked() -> None:
    """The drift check quotes raw values (examples, file paths): its summary and report never show them."""
    import json

    from ccp_assets.checks.drift import DriftReport

    token, core = ISSUE_KINDS["github"][0].split("=", 1)[1], ISSUE_KINDS["github"][1]
    ant, ant_core = ISSUE_KINDS["anthropic"][0].split("=", 1)[1], ISSUE_KINDS["anthropic"][1]
    path = "/home/alicel/.claude/projects/-home-alicel-deploy/s.jsonl"
    rep = DriftReport("turns", "claude_code", "2026-02-10", passed=False, failures=[{
        "what": f"column service_tier has values outside its set: {token}, {ant} (2 rows)",
        "examples": [token, ant], "files": [{"file": path, "version": "2.1.38", "rows": 2}]}])
    text = rep.summary + json.dumps(rep.as_dict())
    assert core not in text and ant_core not in text and "alicel" not in text
    assert rep.summary.startswith("turns[claude_code] 2026-02-10: drift: column service_tier has values outside")
    assert "[github_token]" in rep.summary and "[anthropic_key]" in rep.summary


def test_blocked_days_mask_summaries_recorded_raw() -> None:
    """Check results stored before masking existed still reach `ccp upload` and the upload assets masked."""
    from datetime import UTC, datetime

    import duckdb

    from ccp_assets.checks.drift import blocked_days

    token, core = ISSUE_KINDS["github"][0].split("=", 1)[1], ISSUE_KINDS["github"][1]
    conn = duckdb.connect()
    conn.execute("CREATE TABLE check_results (check_name VARCHAR, asset VARCHAR, suite VARCHAR, source VARCHAR, "
                 "day DATE, passed BOOLEAN, summary VARCHAR, report JSON, run_id VARCHAR, evaluated_at TIMESTAMPTZ)")
    conn.execute("INSERT INTO check_results VALUES ('turns_suite', 'a', 'turns', 'claude_code', '2026-02-10', false, ?, "
                 "'{}', 'r', ?)", [f"turns[claude_code] 2026-02-10: drift: values outside its set: {token}",
                                   datetime.now(UTC)])
    (summary,) = blocked_days(conn, ["2026-02-10"])["2026-02-10"]
    assert core not in summary and summary.endswith("values outside its set: [github_token]")


@pytest.mark.parametrize("text", ["redis://:pw@cache:6379/0", "mysql -u root -pPASS shop", "password=hunter2",
                                  "my password is hunter2", "PASSWORD: letmein", "mysqldump -pS3cret db"])
def test_issue_literal_forms_are_dropped(redactor: Redactor, text: str) -> None:
    """The short forms issue 14 quotes: weak passwords have no entropy to find, only their context."""
    assert redactor.redact(f"ran {text} then stopped").dropped
