"""The reference metrics aggregator (the SaaS side): `create_app(AggregatorConfig(...))`, served by
`ccp aggregator serve`. Modules: app (routes), config (settings and env vars), auth (license per request),
body (capped gzip/JSON reading), models (request bodies), storage (the Protocol) and sqlite_store (the
default database), ops_routes (policy packs, daily aggregate), ratelimit, issuer (license issuing)."""

from __future__ import annotations

from typing import Any

__all__ = ["AggregatorConfig", "create_app"]


def __getattr__(name: str) -> Any:
    """Lazy exports, so importing one submodule (e.g. issuer) does not build the whole app module."""
    if name == "create_app":
        from ccp_assets.aggregator.app import create_app

        return create_app
    if name == "AggregatorConfig":
        from ccp_assets.aggregator.config import AggregatorConfig

        return AggregatorConfig
    raise AttributeError(name)
