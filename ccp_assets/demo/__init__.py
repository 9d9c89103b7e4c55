"""Seeded generator of realistic demo data for every source (`ccp demo-data`).

The shared parts (ids, sink, text) live here and the orchestrator in generate.py; each source's writer
lives in its own package (sources/<name>/demo*.py) and imports the shared parts. So this face imports
generate.py only when asked for its names: importing it eagerly would loop (a source's writer -> demo.ids
-> this face -> generate -> that writer).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ccp_assets.demo.generate import DemoManifest, write_demo_data

__all__ = ["DemoManifest", "write_demo_data"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from ccp_assets.demo import generate

        return getattr(generate, name)
    raise AttributeError(name)
