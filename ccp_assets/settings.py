"""Configuration from the environment (INTERFACES.md), validated once, read at call time.

Every knob goes through one pydantic-settings model, so a mistake anywhere (the CLI, a sensor, the Dagster
code location) is the same `ConfigError`: one line naming the variable, its value and the fix. Before this,
`CCP_TIMEZONE=JST` surfaced as a 195-line traceback from deep inside Dagster's partition code (issue 15).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ccp_assets.privacy.tiers import TIERS

# Abbreviations people type for a zone; IANA has none of them (EST/MST/HST exist but mean fixed offsets).
ZONE_HINTS = {"JST": "Asia/Tokyo", "KST": "Asia/Seoul", "IST": "Asia/Kolkata", "PST": "America/Los_Angeles",
              "PDT": "America/Los_Angeles", "MDT": "America/Denver", "CST": "America/Chicago",
              "CDT": "America/Chicago", "EDT": "America/New_York", "BST": "Europe/London",
              "CEST": "Europe/Berlin", "AEST": "Australia/Sydney", "SGT": "Asia/Singapore"}
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)$", re.IGNORECASE)


class ConfigError(ValueError):
    """A configuration or argument mistake: one line that names the value and says the fix (exit 2)."""

    def __init__(self, name: str, value: object, problem: str) -> None:
        self.name, self.value, self.problem = name, value, problem
        super().__init__(f"{name}={value!s}: {problem}" if name else problem)


@cache
def _zones() -> frozenset[str]:
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


def check_timezone(value: str, name: str = "CCP_TIMEZONE") -> str:
    """An IANA zone name, or a ConfigError naming the value and a zone to use instead."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    v = value.strip()
    try:
        if v and not v.startswith(("/", ".")):
            ZoneInfo(v)  # one file read; listing every zone (`_zones`) is only for the hint below
            return v
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    hint = ZONE_HINTS.get(v.upper()) or next((z for z in _zones() if z.lower() == v.lower()), None)
    fix = f"did you mean {hint}?" if hint else "e.g. UTC, Europe/Berlin, America/New_York"
    raise ConfigError(name, value, f"not an IANA time zone; use a name from the tz database ({fix})")


def check_day(value: str, name: str) -> date:
    """YYYY-MM-DD or ccusage's YYYYMMDD, or a ConfigError saying so."""
    v = value.strip()
    try:
        return date.fromisoformat(f"{v[:4]}-{v[4:6]}-{v[6:]}" if len(v) == 8 and v.isdigit() else v)
    except ValueError:
        raise ConfigError(name, value, "not a day; write YYYY-MM-DD (or YYYYMMDD), e.g. 2026-01-31") from None


def _abs(value: str | None) -> Path | None:
    return Path(value).expanduser().resolve() if value else None


class _Env(BaseSettings):
    """The raw environment, each variable checked; `load_settings` turns it into `Settings`."""

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, extra="ignore",
                                      populate_by_name=False)

    ccp_home: str | None = Field(None, alias="CCP_HOME")
    dagster_home: str | None = Field(None, alias="DAGSTER_HOME")
    claude_config_dir: str | None = Field(None, alias="CLAUDE_CONFIG_DIR")
    usage_log_dir: str | None = Field(None, alias="CCP_USAGE_LOG_DIR")
    agentos_data_dir: str | None = Field(None, alias="CCP_AGENTOS_DATA_DIR")
    repo_dir: str | None = Field(None, alias="CCP_REPO_DIR")
    timezone: str = Field("UTC", alias="CCP_TIMEZONE")
    start_date: str = Field("2024-01-01", alias="CCP_START_DATE")
    privacy_tier: str = Field("local", alias="CCP_PRIVACY_TIER")
    license_pack: str | None = Field(None, alias="CCP_LICENSE_PACK")
    trusted_keys: str | None = Field(None, alias="CCP_TRUSTED_KEYS")
    aggregator_url: str | None = Field(None, alias="CCP_AGGREGATOR_URL")
    duckdb_memory_limit: str = Field("512MB", alias="CCP_DUCKDB_MEMORY_LIMIT")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return check_timezone(v)

    @field_validator("start_date")
    @classmethod
    def _start(cls, v: str) -> str:
        return check_day(v, "CCP_START_DATE").isoformat()

    @field_validator("privacy_tier")
    @classmethod
    def _tier(cls, v: str) -> str:
        tier = v.strip().lower()
        if tier not in TIERS:
            raise ConfigError("CCP_PRIVACY_TIER", v, f"not a privacy tier; use one of {', '.join(TIERS)}")
        return tier

    @field_validator("dagster_home")
    @classmethod
    def _dagster_home(cls, v: str | None) -> str | None:
        if v and not Path(v).expanduser().is_absolute():
            raise ConfigError("DAGSTER_HOME", v, "is relative (runs would land in whichever folder you run from, "
                                                 f"unseen by the UI); set it absolute, e.g. DAGSTER_HOME=$PWD/{v}")
        return v

    @field_validator("aggregator_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v and not re.match(r"^https?://[^/\s]+", v.strip()):
            raise ConfigError("CCP_AGGREGATOR_URL", v, "not an http(s) URL; e.g. http://127.0.0.1:8787")
        return v.strip() if v else v

    @field_validator("duckdb_memory_limit")
    @classmethod
    def _memory(cls, v: str) -> str:
        if not _MEMORY.match(v.strip()):
            raise ConfigError("CCP_DUCKDB_MEMORY_LIMIT", v, "not a size DuckDB understands; e.g. 512MB or 2GB")
        return v.strip()


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
    claude_config_explicit: bool = False  # CLAUDE_CONFIG_DIR was set (so a missing folder is a mistake)

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

    def require_sources(self) -> str | None:
        """Every source directory the user configured exists (INTERFACES.md: else exit 2 naming it).

        Checked by commands that read sources, not at load: a fresh install legitimately has no
        `~/.claude` yet. A CLAUDE_CONFIG_DIR that does not exist is an error when Claude Code would be the
        only source; next to another configured source it only turns Claude Code off (the spec's
        contract-check runs proxy- or AgentOS-only installs that way), and the returned warning says so.
        """
        for name, path in (("CCP_USAGE_LOG_DIR", self.usage_log_dir),
                           ("CCP_AGENTOS_DATA_DIR", self.agentos_data_dir), ("CCP_REPO_DIR", self.repo_dir)):
            if path is not None and not path.is_dir():
                raise ConfigError(name, path, "no such directory; fix the path or unset it to turn that source off")
        missing = [p for p in self.claude_config_dirs if not p.is_dir()] if self.claude_config_explicit else []
        if not missing:
            return None
        problem = ConfigError("CLAUDE_CONFIG_DIR", ",".join(map(str, missing)),
                              "no such directory; point it at the folder holding Claude Code's projects/ "
                              "(e.g. ~/.claude), or unset it")
        if not (self.usage_log_dir or self.agentos_data_dir or self.repo_dir):
            raise problem
        return f"warning: {problem} (Claude Code source off)"


def claude_dirs_from_env(env: Mapping[str, str]) -> tuple[Path, ...]:
    """CLAUDE_CONFIG_DIR (comma-separated allowed, as ccusage does) or the two default roots.

    A path that *is* a `projects/` folder (ccusage accepts that too) stands for its parent root, since
    sources scan `<root>/projects/**/*.jsonl`.
    """
    raw = env.get("CLAUDE_CONFIG_DIR")
    if raw:
        roots = [Path(p.strip()).expanduser().resolve() for p in raw.split(",") if p.strip()]
        return tuple(p.parent if p.name == "projects" and not (p / "projects").is_dir() else p for p in roots)
    home = Path(env.get("HOME") or Path.home())
    return (home / ".claude", home / ".config" / "claude")


def _read_env(env: Mapping[str, str] | None) -> _Env:
    """pydantic-settings reads os.environ itself; an explicit mapping is validated alone (tests)."""
    try:
        if env is None:
            return _Env()
        return _Env.model_validate({k: v for k, v in env.items() if v != ""})
    except ValidationError as exc:
        raise _first_error(exc) from None


def _first_error(exc: ValidationError) -> ConfigError:
    err: dict[str, Any] = exc.errors()[0]
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, ConfigError):
        return cause
    return ConfigError(str(err["loc"][0]) if err.get("loc") else "", err.get("input"), err.get("msg", "invalid"))


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and check the environment once; every path absolute. Raises ConfigError (one line).

    The error is raised from here with its inner frames dropped, so the Dagster code location, which
    imports this at load, shows the one line and a short stack (32 lines instead of 195 for JST).
    """
    try:
        e = _read_env(env)
    except ConfigError as exc:
        raise exc.with_traceback(None) from None
    raw = os.environ if env is None else env
    ccp_home = _abs(e.ccp_home) or (Path.cwd() / "var").resolve()
    return Settings(
        ccp_home=ccp_home,
        claude_config_dirs=claude_dirs_from_env(raw),
        usage_log_dir=_abs(e.usage_log_dir),
        agentos_data_dir=_abs(e.agentos_data_dir),
        repo_dir=_abs(e.repo_dir),
        timezone=e.timezone,
        start_date=date.fromisoformat(e.start_date),
        privacy_tier=e.privacy_tier,
        license_pack=_abs(e.license_pack) or ccp_home / "license.pack",
        trusted_keys=_abs(e.trusted_keys),
        aggregator_url=e.aggregator_url or None,
        duckdb_memory_limit=e.duckdb_memory_limit,
        claude_config_explicit=bool(e.claude_config_dir),
    )
