"""Minimized tier: only allow-listed numbers and vocabulary leave; the last guard catches the rest."""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccp_assets.privacy.hashing import is_keyed_hash, keyed_hash
from ccp_assets.privacy.minimize import (
    KEY_HASH_PURPOSE,
    MAX_DEPTH,
    MINIMIZED_FIELDS,
    MinimizationError,
    assert_minimized,
    minimize_summary,
)
from ccp_assets.privacy.vocab import is_model_name, is_vocab_key, is_vocab_value

SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))
PATH = "/home/alicel/projects/secret-merger-2026"
SESSION = "4d5611e5-241a-462a-8d15-5122611a9569"
LOCAL_MODEL = "/home/alicel/models/secret-merger-2026.gguf"


def summary() -> dict[str, Any]:
    """A metrics_summary.json as the rollup writes it, with identifying material where it can hide."""
    return {
        "date": "2026-02-14", "tier": "minimized", "schema_version": "ccp.metrics.v1",
        "sessions": 4, "turns": 212, "features_shipped": 3,
        "capacity_used": {"pp": 37.5, "prompts": 120, "mtok": 2.4, "usd": 11.25},
        "features_per_capacity": {"pp": 0.08, "prompts": 0.025, "mtok": None},
        "quality_adjusted_efficiency": {"pp": 0.07, "prompts": 0.02},
        "efficiency_by_provider": {
            "claude": {"features": 2, "capacity": 30.0, "capacity_unit": "pp", "e": 0.066, "e_q": 0.06},
            "glm": {"features": 1, "capacity": 120, "capacity_unit": "prompts", "e": 0.008, "e_q": 0.008},
            "my-llm at " + PATH: {"features": 0, "capacity": 1, "capacity_unit": "tokens of " + PATH},
        },
        "avg_cls": 0.42, "avg_impf": 3.5, "avg_churn_score": float("nan"),
        "tokens_by_model": {
            "claude-sonnet-4-5-20250929": {"input": 100, "output": 2000, "cache_read": 5, "cache_creation": 7},
            "glm-4.6": 1234, "<synthetic>": 0, LOCAL_MODEL: 99,
            "claude-opus-4-1": {"note": "please deploy with sk-ant-api03-Zq8xW2vB7nK4mP1rT6yH3jL9cF5dS0aG"},
        },
        "cost_usd_by_model": {"claude-sonnet-4-5-20250929": 1.25, "gpt-5-codex": 0.5, "o3-mini": 0.01},
        "cost_usd_by_source": {"claude_code": 1.25, "ccp_proxy_only": 0.5, "ccc": 0.01, "my-llm at " + PATH: 2.0},
        "model_share": {"models": {"claude-sonnet-4-5-20250929": {"turns": 0.7, "tokens": 0.8}},
                        "subagents": {"code-reviewer-for-secret-merger": {"turns": 0.3, "cost": 0.2}}},
        "routing": {"lanes": {"zai": {"requests": 10, "p95": 1200}}},
        "policy_findings": ["glm used under a community license"],
        "errors": [f"missing {PATH}/windows.jsonl"],
        "inputs": [{"file": f"{PATH}/{SESSION}.jsonl", "lines": 1512}],
        "session_ids": [SESSION],
    }


FORBIDDEN = ["alicel", "secret-merger", "/home/", SESSION, "code-reviewer", "please deploy", "sk-ant",
             "community", "my-llm", "windows.jsonl", "lanes"]


def test_keeps_only_starred_fields_and_their_numbers() -> None:
    out = minimize_summary(summary(), SECRET)
    assert list(out) == [f for f in MINIMIZED_FIELDS if f in summary()]
    assert out["date"] == "2026-02-14" and out["tier"] == "minimized" and out["schema_version"] == "ccp.metrics.v1"
    assert (out["sessions"], out["turns"], out["features_shipped"]) == (4, 212, 3)
    assert out["capacity_used"] == {"pp": 37.5, "prompts": 120, "mtok": 2.4, "usd": 11.25}
    assert out["features_per_capacity"] == {"pp": 0.08, "prompts": 0.025, "mtok": None}
    assert out["efficiency_by_provider"]["claude"] == summary()["efficiency_by_provider"]["claude"]
    assert out["avg_churn_score"] is None  # NaN is not JSON
    assert out["tokens_by_model"]["claude-sonnet-4-5-20250929"]["output"] == 2000
    assert out["tokens_by_model"]["<synthetic>"] == 0
    assert out["cost_usd_by_model"] == {"claude-sonnet-4-5-20250929": 1.25, "gpt-5-codex": 0.5, "o3-mini": 0.01}
    # METRICS.md stars cost_usd_by_source: its fixed source names pass, any other key leaves only as a hash.
    by_source = out["cost_usd_by_source"]
    assert {k: by_source[k] for k in ("claude_code", "ccp_proxy_only", "ccc")} == {
        "claude_code": 1.25, "ccp_proxy_only": 0.5, "ccc": 0.01}
    assert len(by_source) == 4 and 2.0 in by_source.values()


def test_unknown_keys_become_keyed_hashes_and_free_text_is_dropped() -> None:
    out = minimize_summary(summary(), SECRET)
    assert out["tokens_by_model"][keyed_hash(LOCAL_MODEL, SECRET, KEY_HASH_PURPOSE)] == 99
    sub = keyed_hash("code-reviewer-for-secret-merger", SECRET, KEY_HASH_PURPOSE)
    assert out["model_share"]["subagents"] == {sub: {"turns": 0.3, "cost": 0.2}}
    # the entry holding only free text vanishes; the unknown provider keeps its numbers, loses its text
    assert out["tokens_by_model"]["claude-opus-4-1"] == {}
    (hashed_provider,) = [k for k in out["efficiency_by_provider"] if is_keyed_hash(k)]
    assert out["efficiency_by_provider"][hashed_provider] == {"features": 0, "capacity": 1}
    text = json.dumps(out)
    assert [f for f in FORBIDDEN if f in text] == []
    assert minimize_summary(summary(), OTHER_SECRET)["model_share"]["subagents"].keys() != {sub}


def test_output_passes_the_guard_and_raw_summary_does_not() -> None:
    out = minimize_summary(summary(), SECRET)
    assert_minimized(out)
    assert_minimized(json.dumps(out))
    assert_minimized(json.dumps(out).encode())
    with pytest.raises(MinimizationError) as exc:
        assert_minimized(summary())
    assert not [f for f in FORBIDDEN if f in str(exc.value)]  # the error names places, not content


@pytest.mark.parametrize("bad", [
    {"errors": []},
    {"sessions": "4 sessions"},
    {"tokens_by_model": {"/home/bob/model": 1}},
    {"tokens_by_model": {"claude-sonnet-4-5": {"note": "hi"}}},
    {"model_share": {"subagents": {"reviewer": 0.3}}},
    {"date": "14 Feb 2026"},
    {"avg_cls": float("inf")},
    {"capacity_used": {"pp": object()}},
    {"tier": "claude-home-alicel-projects"},
    {"tokens_by_model": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}},
    [1, 2],
    "not json",
])
def test_guard_rejects(bad: Any) -> None:
    with pytest.raises(MinimizationError):
        assert_minimized(bad)


def test_date_objects_and_weeks() -> None:
    out = minimize_summary({"date": date(2026, 2, 14)}, SECRET)
    assert out == {"date": "2026-02-14"}
    assert minimize_summary({"date": "2026-W07"}, SECRET) == {"date": "2026-W07"}
    assert minimize_summary({"date": "2026-02-30"}, SECRET) == {}


@pytest.mark.parametrize("name", [
    "claude-sonnet-4-5-20250929", "claude-3-5-haiku-20241022", "claude-opus-4-1", "gpt-4o-mini", "gpt-4.1",
    "gpt-5-codex", "gpt-oss-120b", "glm-4.5-air", "glm-4.6", "GLM-4.5", "gemini-2.5-flash-lite", "o3", "o4-mini-high",
    "codex-mini-latest", "anthropic/claude-sonnet-4", "<synthetic>",
])
def test_known_model_names(name: str) -> None:
    assert is_model_name(name) and is_vocab_key(name)


@pytest.mark.parametrize("name", [
    "claude-home-alicel-projects", "gpt-secret-merger-2026", "my-model", "claude-sonnet-4/../../etc",
    "claude sonnet", "/home/alicel/claude-sonnet-4", "glm-4.6 " + "x", "o3-" + "alicel", "",
])
def test_unknown_model_names(name: str) -> None:
    assert not is_model_name(name)


def test_vocab() -> None:
    for v in ["anthropic", "zai", "pp", "mtok", "usd", "local", "full", "2026-02-14", "2026-02-14T10:00:00Z",
              "ccp.metrics.v1", "v1", "1.2.0"]:
        assert is_vocab_value(v), v
    for v in ["alice", "/tmp", "2026-13-01", "features ok", "ccp.metrics.v1; rm -rf", "hello world"]:
        assert not is_vocab_value(v), v
    assert is_vocab_key("e_q") and is_vocab_key("cache_read") and not is_vocab_key("reviewer")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)
SUMMARIES = st.dictionaries(st.sampled_from(MINIMIZED_FIELDS) | st.text(max_size=12), JSON, max_size=8)


def _numbers(value: Any, depth: int = 1) -> list[float]:
    """Finite non-bool numbers the minimizer must keep (containers at MAX_DEPTH are dropped whole)."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [value]
    if depth >= MAX_DEPTH:
        return []
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [n for v in items for n in _numbers(v, depth + 1)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@settings(max_examples=300, deadline=None, database=None)
@given(raw=SUMMARIES)
def test_minimized_output_always_passes_guard_and_keeps_numbers(raw: dict[str, Any]) -> None:
    out = minimize_summary(raw, SECRET)
    assert_minimized(out)
    assert set(out) <= set(MINIMIZED_FIELDS)
    expected = [n for f in MINIMIZED_FIELDS if f in raw for n in _numbers(raw[f])]
    got = [n for f in out for n in _numbers(out[f])]
    assert sorted(got) == sorted(expected)
    assert all(math.isfinite(n) for n in got)
    kept = set(_strings(out)) - set(MINIMIZED_FIELDS)
    leaked = [s for s in _strings(raw) if s in kept and not (is_vocab_key(s) or is_vocab_value(s))]
    assert leaked == []
