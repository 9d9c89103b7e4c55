"""Every payload the AgentOS v1 schemas accept is accepted by our v1 models (property-based)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccp_assets.model.v1 import ENTITIES
from tests.conftest import FIXTURES

AGENTOS = FIXTURES / "schemas-v1-agentos"
NAMES = sorted(p.stem for p in AGENTOS.glob("*.json"))


def _scalar(schema: dict[str, Any]) -> st.SearchStrategy:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type", "string")
    types = types if isinstance(types, list) else [types]
    options = []
    for t in types:
        if t == "null":
            options.append(st.none())
        elif t == "integer":
            options.append(st.integers(min_value=schema.get("minimum", -(2**40)), max_value=2**40))
        elif t == "number":
            options.append(st.floats(min_value=schema.get("minimum", -1e12), max_value=1e12, allow_nan=False))
        elif t == "string":
            options.append(st.text(max_size=20))
        elif t == "boolean":
            options.append(st.booleans())
        elif t == "array":
            options.append(st.lists(_scalar(schema.get("items", {})), max_size=3))
        elif t == "object":
            extra = schema.get("additionalProperties", True)
            values = _scalar(extra) if isinstance(extra, dict) else st.integers()
            options.append(st.dictionaries(st.text(min_size=1, max_size=8), values, max_size=3))
    return st.one_of(options)


def payloads(schema: dict[str, Any]) -> st.SearchStrategy:
    """Objects valid under an AgentOS schema: required fields always, optional ones sometimes."""
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    fixed = {k: _scalar(v) for k, v in props.items() if k in required}
    optional = {k: _scalar(v) for k, v in props.items() if k not in required}
    return st.fixed_dictionaries(fixed, optional=optional)


@pytest.mark.parametrize("name", NAMES)
def test_agentos_payloads_validate_in_our_models(name: str) -> None:
    schema = json.loads((AGENTOS / f"{name}.json").read_text())
    model = ENTITIES[name]

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(payloads(schema))
    def check(payload: dict[str, Any]) -> None:
        jsonschema.validate(payload, schema)  # the generator only makes payloads AgentOS accepts
        parsed = model.model_validate(payload)
        dumped = parsed.model_dump(exclude_unset=True)
        for key, value in payload.items():  # nothing dropped, nothing coerced
            assert dumped[key] == value, key

    check()


def test_every_agentos_entity_has_a_model() -> None:
    assert set(NAMES) <= set(ENTITIES)

