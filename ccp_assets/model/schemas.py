"""JSON Schemas of the v1 entities, generated from the pydantic models (never edited by hand)."""

from __future__ import annotations

import json
from pathlib import Path

from ccp_assets.model.v1 import ENTITIES, SCHEMA_VERSION

REPO_SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "v1"


def render_schemas() -> dict[str, str]:
    """File name -> JSON text, stable (sorted keys, trailing newline) so a diff means a real change."""
    out: dict[str, str] = {}
    for name, model in ENTITIES.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"{SCHEMA_VERSION}/{name}.json"
        out[f"{name}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def write_schemas(directory: Path = REPO_SCHEMAS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


def stale_schemas(directory: Path = REPO_SCHEMAS_DIR) -> list[str]:
    """Names whose committed file differs from what the models generate (schema drift)."""
    return [n for n, t in render_schemas().items() if not (directory / n).exists() or (directory / n).read_text() != t]
