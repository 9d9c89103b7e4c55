"""Minimized tier: reduce a day's metrics_summary.json to allow-listed numbers, so nothing that names a
person, repo, path or prompt can leave, and check any payload against the same allow-list before upload.

Rules (`minimize_summary`):
- top level: only `MINIMIZED_FIELDS` (METRICS.md's starred rollup fields); everything else is dropped;
- numbers, booleans and null are kept (NaN and infinities become null, they are not JSON);
- string values are kept only when they belong to a fixed vocabulary (`vocab.is_vocab_value`: model ids,
  providers, capacity units, tiers, ISO dates, schema versions); any other string value is DROPPED (a
  dict entry disappears, a list loses the element): free text has no number to keep;
- dict keys outside the vocabulary (`vocab.is_vocab_key`: metric field names plus the above) are
  replaced by `keyed_hash(key, secret, "minimize.key")`, so per-subagent or unknown-model numbers stay
  joinable across days without naming them (keys that already look like keyed hashes are hashed again:
  a raw 32-hex id must not pass as a hash);
- nesting deeper than `MAX_DEPTH` is dropped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from .hashing import is_keyed_hash, keyed_hash
from .vocab import is_vocab_key, is_vocab_value

MINIMIZED_FIELDS: Final[tuple[str, ...]] = (
    "date", "tier", "sessions", "turns", "features_shipped", "capacity_used", "features_per_capacity",
    "quality_adjusted_efficiency", "efficiency_by_provider", "avg_cls", "avg_impf", "avg_churn_score",
    "tokens_by_model", "cost_usd_by_model", "cost_usd_by_source", "model_share", "schema_version",
    "device_id",  # set by uploads.payloads (licensing.device.install_device_id), never taken from the summary
)
KEY_HASH_PURPOSE: Final = "minimize.key"
MAX_DEPTH: Final = 6  # summary -> field -> model/provider -> metric -> ... ; real shapes need 4
_FIELDS = frozenset(MINIMIZED_FIELDS)
_DROP: Final = object()


class MinimizationError(ValueError):
    """A payload holds something outside the minimized allow-list; the message names where, not what."""


def minimize_summary(summary: Mapping[str, Any], secret: bytes) -> dict[str, Any]:
    """The allow-listed part of a metrics summary (see module docstring)."""
    out: dict[str, Any] = {}
    for field in MINIMIZED_FIELDS:
        if field in summary:
            value = _clean(summary[field], secret, 1)
            if value is not _DROP:
                out[field] = value
    return out


def _clean(value: Any, secret: bytes, depth: int) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return value if is_vocab_value(value) else _DROP
    if isinstance(value, date):  # datetime too: ISO form is in the vocabulary
        return value.isoformat()
    if depth >= MAX_DEPTH:
        return _DROP
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            cleaned = _clean(v, secret, depth + 1)
            if cleaned is not _DROP:
                key = k if isinstance(k, str) and is_vocab_key(k) else keyed_hash(str(k), secret, KEY_HASH_PURPOSE)
                out[key] = cleaned
        return out
    if isinstance(value, list | tuple):
        return [c for c in (_clean(v, secret, depth + 1) for v in value) if c is not _DROP]
    return _DROP


def assert_minimized(payload: Mapping[str, Any] | str | bytes) -> None:
    """Raise `MinimizationError` unless every key and value of `payload` (a dict or its JSON) is allowed:
    top-level keys in `MINIMIZED_FIELDS`; nested keys in the vocabulary or keyed hashes; values numbers,
    booleans, null, vocabulary strings or keyed hashes. The uploader's last guard before sending."""
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise MinimizationError("payload is not JSON") from exc
    if not isinstance(payload, Mapping):
        raise MinimizationError("payload must be a JSON object")
    problems: list[str] = []
    for key, value in payload.items():
        if key not in _FIELDS:
            problems.append("top-level key <not allowed>")
        else:
            _check(value, f"/{key}", 1, problems)
    if problems:
        shown = "; ".join(problems[:10])
        raise MinimizationError(f"{len(problems)} item(s) outside the minimized allow-list: {shown}")


def _check(value: Any, where: str, depth: int, problems: list[str]) -> None:
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            problems.append(f"{where}: non-finite number")
        return
    if isinstance(value, str):
        if not (is_vocab_value(value) or is_keyed_hash(value)):
            problems.append(f"{where}: string value <not allowed>")
        return
    if depth >= MAX_DEPTH:
        problems.append(f"{where}: nested deeper than {MAX_DEPTH}")
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            ok = isinstance(k, str) and (is_vocab_key(k) or is_keyed_hash(k))
            if not ok:
                problems.append(f"{where}: key <not allowed>")
            _check(v, f"{where}/{k if ok else '<key>'}", depth + 1, problems)
        return
    if isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check(v, f"{where}/{i}", depth + 1, problems)
        return
    problems.append(f"{where}: value of type {type(value).__name__} <not allowed>")
