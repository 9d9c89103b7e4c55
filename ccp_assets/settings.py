"""Configuration from the environment (INTERFACES.md), read at call time so tests and the CLI can set it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PRIVACY_TIERS = ("local", "minimized", "full")


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser().resolve() if value else None


@dataclass(frozen=True)
class Settings:
    """Every knob of INTERFACES.md's configuration table, resolved to absolute paths."""

    ccp_home: Path
    claude_config_dirs: tuple[Path, ...]
    usage_log_dir: Path | None
    agentos_data_dir: Path | None
    repo_dir: Path | None
    timezone: str
    start_date: date
    privacy_tier: str
    license_pack: Path
    trusted_keys: Path | None
    aggregator_url: str | None
    duckdb_memory_limit: str = "512MB"  # DuckDB spills past it: peak RSS stays bounded on any corpus

    @property
    def warehouse_path(self) -> Path:
        return self.ccp_home / "warehouse.duckdb"

    @property
    def landing_dir(self) -> Path:
        return self.ccp_home / "landing"

    @property
    def rollups_dir(self) -> Path:
        return self.ccp_home / "rollups"

    @property
    def state_dir(self) -> Path:
        """Small local state: license cache, install secret, policy cache."""
        return self.ccp_home / "state"


def claude_dirs_from_env(env: dict[str, str] | os._Environ[str]) -> tuple[Path, ...]:
    """CLAUDE_CONFIG_DIR (comma-separated allowed, as ccusage does) or the two default roots."""
    raw = env.get("CLAUDE_CONFIG_DIR")
    if raw:
        return tuple(Path(p).expanduser().resolve() for p in raw.split(",") if p.strip())
    home = Path(env.get("HOME") or Path.home())
    return (home / ".claude", home / ".config" / "claude")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the environment once; every path absolute."""
    e = os.environ if env is None else env
    ccp_home = _path(e.get("CCP_HOME")) or (Path.cwd() / "var").resolve()
    tier = (e.get("CCP_PRIVACY_TIER") or "local").strip().lower()
    if tier not in PRIVACY_TIERS:
        raise ValueError(f"CCP_PRIVACY_TIER must be one of {', '.join(PRIVACY_TIERS)}, not {tier!r}")
    return Settings(
        ccp_home=ccp_home,
        claude_config_dirs=claude_dirs_from_env(e),
        usage_log_dir=_path(e.get("CCP_USAGE_LOG_DIR")),
        agentos_data_dir=_path(e.get("CCP_AGENTOS_DATA_DIR")),
        repo_dir=_path(e.get("CCP_REPO_DIR")),
        timezone=e.get("CCP_TIMEZONE") or "UTC",
        start_date=date.fromisoformat(e.get("CCP_START_DATE") or "2024-01-01"),
        privacy_tier=tier,
        license_pack=_path(e.get("CCP_LICENSE_PACK")) or ccp_home / "license.pack",
        trusted_keys=_path(e.get("CCP_TRUSTED_KEYS")),
        aggregator_url=(e.get("CCP_AGGREGATOR_URL") or None),
        duckdb_memory_limit=(e.get("CCP_DUCKDB_MEMORY_LIMIT") or "512MB").strip(),
    )
