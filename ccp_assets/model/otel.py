"""The one place where v1 turn and cost fields map onto OpenTelemetry GenAI semantic conventions.

Exporters and the full-tier event payloads use these names when they speak OpenTelemetry; the warehouse
keeps the v1 names. A field absent here has no GenAI attribute (it is ccp-specific).
"""

from __future__ import annotations

from typing import Any

TURN_TO_GEN_AI: dict[str, str] = {
    "model": "gen_ai.request.model",
    "routed_model": "gen_ai.response.model",
    "provider": "gen_ai.system",
    "tokens_in": "gen_ai.usage.input_tokens",
    "tokens_out": "gen_ai.usage.output_tokens",
    "cache_read_tokens": "gen_ai.usage.cache_read_input_tokens",
    "cache_creation_tokens": "gen_ai.usage.cache_creation_input_tokens",
    "message_id": "gen_ai.response.id",
    "session_id": "gen_ai.conversation.id",
    "subagent": "gen_ai.agent.id",
    "op": "gen_ai.operation.name",
}

COST_TO_GEN_AI: dict[str, str] = {
    "provider": "gen_ai.system",
    "model": "gen_ai.request.model",
    "estimated_usd": "gen_ai.usage.cost",  # not (yet) in the conventions: namespaced like them
}


def to_gen_ai(row: dict[str, Any], mapping: dict[str, str] = TURN_TO_GEN_AI) -> dict[str, Any]:
    """The OTel attributes of one v1 row (None values left out)."""
    return {attr: row[field] for field, attr in mapping.items() if row.get(field) is not None}
