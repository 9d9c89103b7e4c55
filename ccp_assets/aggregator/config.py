"""What an aggregator instance needs to know: built in code (tests) or from the environment (the CLI).

Environment variables read by `AggregatorConfig.from_env` (all optional):
    CCP_AGGREGATOR_DB                  SQLite file, or a postgresql://user:pass@host:port/db URL (the
                                       PostgreSQL store)              default $CCP_HOME/aggregator.sqlite
    CCP_AGGREGATOR_TRUSTED_KEYS        keyring file {"keys": {kid: b64}} of license/policy signers;
                                       default CCP_TRUSTED_KEYS; the package's built-in keys are always added
    CCP_AGGREGATOR_REVOCATIONS         signed revocation list applied to every license     default none
    CCP_AGGREGATOR_POLICY              signed policy pack to serve (stored if newer)        default none
    CCP_AGGREGATOR_OPERATOR_TOKEN      bearer token for `PUT /v1/policy`                   default none (off)
    CCP_AGGREGATOR_MAX_BODY_BYTES      cap on the request body as sent (compressed)       default 4 MiB
    CCP_AGGREGATOR_MAX_DECOMPRESSED_BYTES  cap on the body after gzip                       default 16 MiB
    CCP_AGGREGATOR_MAX_EVENTS          events per `POST /v1/events` batch                   default 20000
    CCP_AGGREGATOR_RATE_PER_S          token-bucket refill per license (requests/second)    default 2
    CCP_AGGREGATOR_RATE_BURST          token-bucket size per license                        default 60
    CCP_AGGREGATOR_TRUSTED_PROXIES     comma-separated addresses/CIDRs of reverse proxies whose
                                       X-Forwarded-For names the client          default none (XFF ignored)
    CCP_AGGREGATOR_MAX_HEADER_BYTES    cap on the request line + headers (431/400 beyond)  default 64 KiB
    CCP_AGGREGATOR_HEADER_TIMEOUT_S    request line + headers must arrive within this       default 10
    CCP_AGGREGATOR_BODY_TIMEOUT_S      whole body must arrive within this (408 beyond)      default 120
    CCP_AGGREGATOR_BODY_IDLE_TIMEOUT_S longest pause between two chunks of a body           default 15
    CCP_AGGREGATOR_MIN_FREE_BYTES      /healthz answers 503 below this much free disk       default 64 MiB
    CCP_AGGREGATOR_QUOTA_BYTES         stored payload bytes per license unless the policy pack's
                                       upload_limits.stored_bytes_per_license says otherwise  default 1 GiB
    CCP_ISSUER_KEY, CCP_ISSUER_INVITES, CCP_ISSUER_KID, CCP_ISSUER_OPERATOR_TOKEN
                                       mount the license issuer (see issuer.py); off unless both KEY and
                                       INVITES are set
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ccp_assets.aggregator.issuer import IssuerState
from ccp_assets.aggregator.ratelimit import parse_networks
from ccp_assets.aggregator.storage import is_postgres_url

MIB = 1024 * 1024


class AggregatorConfig(BaseModel):
    """Everything `create_app` needs; immutable once built so a running app cannot drift from it."""

    model_config = ConfigDict(frozen=True)

    db_path: Path
    db_url: str | None = None  # postgresql://...: the PostgreSQL store instead of the SQLite file
    trusted_keys: Path | None = None  # None: only the keys built into the package
    include_builtin_keys: bool = True
    revocations_file: Path | None = None
    policy_file: Path | None = None
    operator_token: str | None = Field(default=None, min_length=16)
    max_body_bytes: int = Field(default=4 * MIB, ge=1024)
    max_decompressed_bytes: int = Field(default=16 * MIB, ge=1024)
    max_events: int = Field(default=20_000, ge=1)
    rate_per_s: float = Field(default=2.0, gt=0)
    rate_burst: int = Field(default=60, ge=1)
    trusted_proxies: tuple[str, ...] = ()
    max_header_bytes: int = Field(default=64 * 1024, ge=4096)
    header_timeout_s: float = Field(default=10.0, gt=0)
    body_timeout_s: float = Field(default=120.0, gt=0)
    body_idle_timeout_s: float = Field(default=15.0, gt=0)
    min_free_bytes: int = Field(default=64 * MIB, ge=0)
    quota_bytes: int | None = Field(default=1024 * MIB, ge=0)
    operator_max_failures: int = Field(default=5, ge=1)
    operator_failure_window_s: float = Field(default=60.0, gt=0)
    issuer: Any = None  # an IssuerState; typed loosely so pydantic does not try to rebuild the dataclass

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: Any) -> Any:
        """A comma-separated string (the env var) or a list; every entry must be an address or CIDR."""
        items = [v for v in value.split(",") if v.strip()] if isinstance(value, str) else list(value or ())
        parse_networks(items)
        return tuple(v.strip() for v in items)

    @field_validator("db_url")
    @classmethod
    def _db_url(cls, value: str | None) -> str | None:
        if value is not None and not is_postgres_url(value):
            raise ValueError("db_url must be a postgresql:// URL (a SQLite database is a file path)")
        return value

    @property
    def database(self) -> Path | str:
        """What `open_storage` opens: the PostgreSQL URL when set, else the SQLite file."""
        return self.db_url or self.db_path

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, IssuerState):
            raise ValueError("issuer must be an IssuerState (see IssuerState.from_env / from_files)")
        return value

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> AggregatorConfig:
        """Read the variables in the module docstring; keyword overrides (CLI flags) win."""
        e = os.environ if env is None else env

        def path(name: str) -> Path | None:
            value = e.get(name)
            return Path(value).expanduser().resolve() if value else None

        home = path("CCP_HOME") or (Path.cwd() / "var").resolve()
        db = e.get("CCP_AGGREGATOR_DB") or ""
        url = db if is_postgres_url(db) else None
        values: dict[str, Any] = {
            "db_path": (None if url else path("CCP_AGGREGATOR_DB")) or home / "aggregator.sqlite",
            "db_url": url,
            "trusted_keys": path("CCP_AGGREGATOR_TRUSTED_KEYS") or path("CCP_TRUSTED_KEYS"),
            "revocations_file": path("CCP_AGGREGATOR_REVOCATIONS"),
            "policy_file": path("CCP_AGGREGATOR_POLICY"),
            "operator_token": e.get("CCP_AGGREGATOR_OPERATOR_TOKEN") or None,
            "issuer": IssuerState.from_env(e),
        }
        numeric = {
            "max_body_bytes": "CCP_AGGREGATOR_MAX_BODY_BYTES",
            "max_decompressed_bytes": "CCP_AGGREGATOR_MAX_DECOMPRESSED_BYTES",
            "max_events": "CCP_AGGREGATOR_MAX_EVENTS",
            "rate_per_s": "CCP_AGGREGATOR_RATE_PER_S",
            "rate_burst": "CCP_AGGREGATOR_RATE_BURST",
            "trusted_proxies": "CCP_AGGREGATOR_TRUSTED_PROXIES",
            "max_header_bytes": "CCP_AGGREGATOR_MAX_HEADER_BYTES",
            "header_timeout_s": "CCP_AGGREGATOR_HEADER_TIMEOUT_S",
            "body_timeout_s": "CCP_AGGREGATOR_BODY_TIMEOUT_S",
            "body_idle_timeout_s": "CCP_AGGREGATOR_BODY_IDLE_TIMEOUT_S",
            "min_free_bytes": "CCP_AGGREGATOR_MIN_FREE_BYTES",
            "quota_bytes": "CCP_AGGREGATOR_QUOTA_BYTES",
        }
        values.update({field: e[name] for field, name in numeric.items() if e.get(name)})
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)
