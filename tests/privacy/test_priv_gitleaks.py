"""Every gitleaks rule in rules_v2.json against gitleaks' own true and false positives (its
cmd/generate/config/rules/*.go, ported to tests/privacy/data/gitleaks_examples.json by
tests/privacy/gitleaks_port): each true positive is caught by that rule, no false positive is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ccp_assets.privacy.redact import Redactor
from ccp_assets.privacy.rules import packaged_rules

DATA = json.loads((Path(__file__).parent / "data" / "gitleaks_examples.json").read_text())["rules"]
PORTED = sorted(r.name for r in packaged_rules() if r.source.startswith("gitleaks"))
# gitleaks ships no examples for these two; jwt-base64's are built by a loop the port does not evaluate.
WITHOUT_EXAMPLES = {"dropbox-long-lived-api-token", "dropbox-short-lived-api-token", "jwt-base64"}


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor.from_rules(include_login=False)


def test_the_whole_rule_set_is_ported() -> None:
    assert len(PORTED) >= 220
    assert set(DATA) - set(PORTED) == set()  # every rule with examples is ported (pkcs12-file is a file rule)
    assert {r for r in PORTED if not DATA.get(r, {}).get("tps")} == WITHOUT_EXAMPLES


@pytest.mark.parametrize("rule_id", sorted(set(PORTED) - WITHOUT_EXAMPLES))
def test_gitleaks_true_positives_are_caught(redactor: Redactor, rule_id: str) -> None:
    missed = [tp for tp in DATA[rule_id]["tps"] if rule_id not in redactor.redact(tp).hits]
    assert missed == []
    for tp in DATA[rule_id]["tps"][:3]:
        assert redactor.redact(tp).dropped


@pytest.mark.parametrize("rule_id", sorted(r for r in PORTED if DATA.get(r, {}).get("fps")))
def test_gitleaks_false_positives_are_spared_by_that_rule(redactor: Redactor, rule_id: str) -> None:
    flagged = [fp for fp in DATA[rule_id]["fps"] if rule_id in redactor.redact(fp).hits]
    assert flagged == []
