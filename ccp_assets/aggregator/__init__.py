"""The reference metrics aggregator (the SaaS side): `create_app(AggregatorConfig(...))`, served by
`ccp aggregator serve`. Modules: app (routes), config (settings and env vars), server (uvicorn limits),
auth (license per request, operator token), body (capped, deadline-bound gzip/JSON reading), models
(request bodies), storage (the Protocol), sqlite_store + sqlite_schema (the default database),
postgres_store + migrations/ (PostgreSQL for a team, Alembic), team_sql (read SQL shared by both stores),
team + team_routes + team_page (the team view: `/v1/team/*` and the `/team` dashboard), quota
(per-license quota and retention from the policy pack), ops_routes (policy packs, daily aggregate, OpenAPI),
ratelimit (token buckets, failure windows, client address), issuer + issuer_http + invites (license
issuing)."""

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
