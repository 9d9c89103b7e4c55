"""Request bodies of the upload endpoints, and what the daily aggregate extracts from a summary.

A minimized summary is METRICS.md's starred fields and nothing else (`extra="forbid"`; the privacy
layer's `assert_minimized` also checks every nested key and string). Numbers that are summed are bounded
so a hostile upload cannot overflow a sum or a column.
"""

from __future__ import annotations

import re
from datetime import date as Date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from ccp_assets.aggregator.storage import MetricsRow, ProviderSums
from ccp_assets.privacy.tiers import PrivacyTier

MAX_COUNT = 10**12
DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
WEEK_RE = re.compile(r"\d{4}-W(\d{2})", re.ASCII)
MAX_AMOUNT = 1e15

Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Amount = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Score = Annotated[float, Field(allow_inf_nan=False, ge=-1e9, le=1e9)]
ModelKey = Annotated[str, StringConstraints(min_length=1, max_length=128)]
TokenKinds = dict[Annotated[str, StringConstraints(max_length=64)], Amount | None]
DeviceId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]
KINDS = ("input", "output", "cache_creation", "cache_read")


class MetricsSummary(BaseModel):
    """One day's (or ISO week's) minimized metrics_summary.json."""

    model_config = ConfigDict(extra="forbid")

    date: Annotated[str, StringConstraints(min_length=8, max_length=10)]
    tier: PrivacyTier | None = None
    schema_version: Annotated[str, StringConstraints(max_length=64)] | None = None
    sessions: Count | None = None
    turns: Count | None = None
    features_shipped: Amount | None = None
    capacity_used: Any = None
    features_per_capacity: Any = None
    quality_adjusted_efficiency: Any = None
    efficiency_by_provider: dict[str, Any] | None = None
    avg_cls: Score | None = None
    avg_impf: Score | None = None
    avg_churn_score: Score | None = None
    tokens_by_model: dict[ModelKey, Amount | TokenKinds | None] | None = None
    cost_usd_by_model: dict[ModelKey, Amount | None] | None = None
    cost_usd_by_source: dict[ModelKey, Amount | None] | None = None  # METRICS.md: {source: USD}
    model_share: Any = None
    device_id: DeviceId | None = None  # the install's keyed device id (privacy/minimize.py: device_id)

    @field_validator("date")
    @classmethod
    def _period(cls, value: str) -> str:
        """YYYY-MM-DD (a real day) or YYYY-Www (an ISO week rollup)."""
        week = WEEK_RE.fullmatch(value)
        if week and 1 <= int(week.group(1)) <= 53:
            return value
        if DAY_RE.fullmatch(value):
            try:
                Date.fromisoformat(value)
                return value
            except ValueError:
                pass
        raise ValueError("date must be YYYY-MM-DD or an ISO week YYYY-Www")


class EventsBatch(BaseModel):
    """A full-tier batch: `{"events": [{...}, ...]}` (other top-level fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    events: list[dict[str, Any]] = Field(min_length=1)


def _tokens(value: float | dict[str, float | None] | None) -> float | None:
    """A model's token total: the number itself, its `total`, or the sum of its token kinds."""
    if value is None or isinstance(value, int | float):
        return value
    total = value.get("total") if value.get("total") is not None else value.get("total_tokens")
    if total is not None:
        return total
    kinds = [v for k, v in value.items() if v is not None and k not in ("total", "total_tokens")]
    return sum(kinds) if kinds else None


def _amount(value: Any) -> float | None:
    """A finite number within the summable bounds, else None (efficiency fields are loosely typed)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return float(value) if -MAX_AMOUNT <= value <= MAX_AMOUNT else None


def _providers(by_provider: dict[str, Any] | None) -> dict[str, ProviderSums]:
    """Per provider, what E and E_q are recomputed from when summed over devices and days: features,
    capacity, and features × quality (e_q × capacity), never the ratios themselves."""
    out: dict[str, ProviderSums] = {}
    for provider, v in (by_provider or {}).items():
        if not isinstance(v, dict) or len(provider) > 64:
            continue
        unit = v.get("capacity_unit") if isinstance(v.get("capacity_unit"), str) else None
        features, capacity, e_q = _amount(v.get("features")), _amount(v.get("capacity")), _amount(v.get("e_q"))
        quality = e_q * capacity if e_q is not None and capacity is not None else None
        out[provider] = ProviderSums(unit[:16] if unit else None, features, capacity, quality)
    return out


def metrics_row(summary: MetricsSummary) -> MetricsRow:
    """What gets stored: the normalized summary and the numbers the daily and team aggregates sum."""
    tokens = {m: t for m, v in (summary.tokens_by_model or {}).items() if (t := _tokens(v)) is not None}
    costs = {m: c for m, c in (summary.cost_usd_by_model or {}).items() if c is not None}
    kinds = {
        m: {k: float(v[k]) for k in KINDS if v.get(k) is not None}
        for m, v in (summary.tokens_by_model or {}).items()
        if isinstance(v, dict)
    }
    return MetricsRow(
        period=summary.date,
        payload=summary.model_dump(mode="json", exclude_unset=True),
        sessions=summary.sessions,
        turns=summary.turns,
        features_shipped=summary.features_shipped,
        cost_usd=sum(costs.values()) if costs else None,
        tokens_by_model=tokens,
        cost_by_model=costs,
        device=summary.device_id,
        kinds_by_model=kinds,
        providers=_providers(summary.efficiency_by_provider),
    )


def first_error(err: ValidationError) -> str:
    """`field.path: message` of the first validation problem, for a one-line 400."""
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{where}: {first['msg']}"
