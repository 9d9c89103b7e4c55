"""The reference metrics aggregator (INTERFACES.md, "Aggregator HTTP API"): `create_app(config) -> FastAPI`.

    POST /v1/metrics          one minimized summary; license needs telemetry_minimized or telemetry_full
    POST /v1/events           {"events": [...]}, gzip allowed; license needs telemetry_full
    GET  /v1/policy           the newest signed policy pack held (404 when none)
    PUT  /v1/policy           operator (Authorization: Bearer <operator token>): store a newer signed pack
    GET  /v1/aggregate/daily  community-wide daily totals; any valid license (or the operator token)
    GET  /healthz
    + the issuer routes of issuer.py when `config.issuer` is set

Uploads carry `X-CCP-License` (base64 of the pack JSON) and `Idempotency-Key`. Checks, in order, each
with one `now`: 401 missing/bad license, 403 not entitled, 400 no key, 429 rate limit (Retry-After),
replay of an accepted key (first answer, `Idempotent-Replayed: true`), 413 body too large (before or
after gzip), 400 malformed JSON or wrong shape, then 202 `{"accepted", "id", "kind", "stored"}`.
FastAPI's 422 is answered as 400; no client input produces a 5xx. Env vars: see config.py.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ccp_assets.aggregator.auth import Denied, Trust, authenticate, require, safe_text, scope_of, throttle
from ccp_assets.aggregator.auth import idempotency_key as check_key
from ccp_assets.aggregator.body import BodyError, parse_json, read_body
from ccp_assets.aggregator.config import AggregatorConfig
from ccp_assets.aggregator.issuer import issuer_router
from ccp_assets.aggregator.models import EventsBatch, MetricsSummary, first_error, metrics_row
from ccp_assets.aggregator.ops_routes import install_policy_file, ops_router, with_body_schemas
from ccp_assets.aggregator.ratelimit import TokenBuckets
from ccp_assets.aggregator.storage import Answer, Receipt, Storage, open_storage
from ccp_assets.licensing import License, clock
from ccp_assets.privacy.minimize import MinimizationError, assert_minimized

log = logging.getLogger("ccp_assets.aggregator")
LicenseHeader = Annotated[
    str | None, Header(alias="X-CCP-License", description="base64 of the license pack JSON")
]
KeyHeader = Annotated[
    str | None, Header(alias="Idempotency-Key", description="one key per upload, reused on retry")
]
UPLOADS = {
    "metrics": (("telemetry_minimized", "telemetry_full"), "upload minimized metrics"),
    "events": (("telemetry_full",), "upload full events"),
}


def _error(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    """Every refusal is `{"detail": "<one line>"}`; validation is 400, never 422."""

    async def refused(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Denied | BodyError)
        wait = getattr(exc, "retry_after", None)
        return _error(exc.status, exc.detail, {"Retry-After": str(wait)} if wait else None)

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ())) or "request"
        return _error(400, f"malformed request: {where}: {first.get('msg', 'invalid')}")

    async def busy(_: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", exc)
        return _error(503, "storage temporarily unavailable; retry later", {"Retry-After": "5"})

    app.add_exception_handler(Denied, refused)
    app.add_exception_handler(BodyError, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(sqlite3.OperationalError, busy)


def _reply(answer: Answer) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return JSONResponse(answer.body, status_code=answer.status, headers=headers)


def _metrics(doc: Any) -> MetricsSummary:
    if not isinstance(doc, dict):
        raise BodyError(400, "expected a JSON object: one minimized metrics summary")
    try:
        summary = MetricsSummary.model_validate(doc)
        assert_minimized(doc)
    except ValidationError as e:
        raise BodyError(400, f"not a minimized metrics summary: {first_error(e)}") from None
    except MinimizationError as e:
        raise BodyError(400, f"not a minimized metrics summary: {e}") from None
    return summary


def _events(doc: Any, max_events: int) -> list[dict[str, Any]]:
    try:
        batch = EventsBatch.model_validate(doc)
    except ValidationError as e:
        raise BodyError(400, f'expected {{"events": [{{...}}, ...]}}: {first_error(e)}') from None
    if len(batch.events) > max_events:
        raise BodyError(413, f"too many events in one batch ({len(batch.events)} > {max_events}); split it")
    return batch.events


def _receipt(lic: License, scope: str, key: str, now: float) -> Receipt:
    license_id = safe_text(lic.license_id) if lic.license_id else None
    return Receipt(
        scope, key, safe_text(lic.kid), license_id, safe_text(lic.plan), now, "upl_" + secrets.token_hex(12)
    )


def create_app(config: AggregatorConfig, *, storage: Storage | None = None) -> FastAPI:
    """An aggregator bound to `config` (and `storage`, default: SQLite at `config.db_path`)."""
    trust = Trust.load(
        config.trusted_keys, config.revocations_file, builtin=config.include_builtin_keys, now=clock.now()
    )
    store = storage if storage is not None else open_storage(config.db_path)
    if config.policy_file is not None:
        install_policy_file(store, trust, config.policy_file, clock.now())
    buckets = TokenBuckets(config.rate_per_s, config.rate_burst)

    app = FastAPI(title="ccp metrics aggregator", version="1", description=__doc__)
    app.state.store, app.state.config, app.state.trust = store, config, trust
    _install_error_handlers(app)

    def accept(kind: str, raw: bytes, receipt: Receipt) -> Answer:
        """Parse, validate and store (in a worker thread: a large body must not stall the event loop)."""
        doc = parse_json(raw)
        if kind == "metrics":
            return store.store_metrics(receipt, metrics_row(_metrics(doc)))
        return store.store_events(receipt, _events(doc, config.max_events))

    async def upload(request: Request, kind: str, license_header: str | None, key_header: str | None) -> Any:
        now = clock.now()
        lic = authenticate(license_header, trust, now)
        require(lic, *UPLOADS[kind])
        key, scope = check_key(key_header), scope_of(lic)
        throttle(buckets, scope)
        prior = await run_in_threadpool(store.find_answer, scope, key)
        if prior is not None:
            return _reply(prior)
        raw = await read_body(
            request, max_wire=config.max_body_bytes, max_plain=config.max_decompressed_bytes
        )
        answer = await run_in_threadpool(accept, kind, raw, _receipt(lic, scope, key, now))
        if not answer.replayed:
            log.info(
                "accepted %s %s from %s (%s stored)", kind, answer.body["id"], scope, answer.body["stored"]
            )
        return _reply(answer)

    @app.post("/v1/metrics", status_code=202, tags=["uploads"])
    async def post_metrics(
        request: Request, x_ccp_license: LicenseHeader = None, idempotency_key: KeyHeader = None
    ) -> Any:
        """One minimized metrics summary (JSON, optionally gzip)."""
        return await upload(request, "metrics", x_ccp_license, idempotency_key)

    @app.post("/v1/events", status_code=202, tags=["uploads"])
    async def post_events(
        request: Request, x_ccp_license: LicenseHeader = None, idempotency_key: KeyHeader = None
    ) -> Any:
        """A batch of full-tier events, `{"events": [...]}` (JSON, optionally gzip)."""
        return await upload(request, "events", x_ccp_license, idempotency_key)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        await run_in_threadpool(store.ping)
        return {"status": "ok"}

    app.include_router(ops_router(store, trust, config, buckets))
    if config.issuer is not None:
        app.include_router(issuer_router(config.issuer))
    with_body_schemas(app, {("/v1/metrics", "post"): MetricsSummary, ("/v1/events", "post"): EventsBatch})
    return app
