"""Strict JSON for signed documents: canonical bytes, bounded size, no ambiguity.

Signatures cover `json.dumps(body, sort_keys=True, separators=(",", ":"))`, so how a pack file is spaced or
ordered does not matter. What must never happen is two readers seeing two different documents in the
same bytes: duplicate keys, NaN/Infinity and absurd numbers are refused instead of being silently
resolved one way.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ccp_assets.licensing.errors import LicenseError

MAX_DOC_BYTES = 64 * 1024  # a real pack is < 1 KiB; the cap keeps a hostile file from costing memory/CPU
MAX_INT_DIGITS = 19  # epoch seconds and versions fit in int64; longer numbers are never legitimate


def canonical_bytes(body: Any) -> bytes:
    """The exact bytes that are signed (INTERFACES.md, "License pack")."""
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def show(value: Any, limit: int = 64) -> str:
    """A short, quoted, printable rendering of an attacker-controlled value for a reason line."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:limit] + "..."
    return repr(text)


def fmt_date(epoch: float) -> str:
    """UTC calendar date of an epoch, or the raw number when it is outside the calendar."""
    try:
        return datetime.fromtimestamp(epoch, UTC).date().isoformat()
    except (OverflowError, OSError, ValueError):
        return str(epoch)


def fmt_time(epoch: float) -> str:
    """UTC date and minute of an epoch (for clock-tampering reasons, where the day is not precise enough)."""
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return str(epoch)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise LicenseError(f"duplicate key {show(key)} in a JSON object (ambiguous pack)")
        out[key] = value
    return out


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise LicenseError(f"malformed JSON: a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise LicenseError("malformed JSON: a number is out of range")
    return value


def _constant(name: str) -> Any:
    raise LicenseError(f"malformed JSON: {name} is not allowed")


def loads_strict(raw: bytes | str, *, max_bytes: int = MAX_DOC_BYTES) -> Any:
    """Parse one signed document, refusing oversize, non-UTF-8, malformed or ambiguous input."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    if len(data) > max_bytes:
        raise LicenseError(f"input too large (over the {max_bytes}-byte limit for a signed pack)")
    if not data.strip():
        raise LicenseError("empty input (not a pack)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LicenseError(f"not UTF-8 text at byte {e.start} (not a pack)") from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_int=_int,
            parse_float=_float,
            parse_constant=_constant,
        )
    except json.JSONDecodeError as e:
        raise LicenseError(
            f"malformed JSON at position {e.pos} (line {e.lineno}, column {e.colno}): {e.msg}"
        ) from None
    except RecursionError:
        raise LicenseError("malformed JSON: nesting too deep") from None


def read_capped(path: Path, *, max_bytes: int = MAX_DOC_BYTES) -> bytes:
    """Read at most one byte past the cap, so a huge file is refused without being loaded."""
    with open(path, "rb") as fh:
        return fh.read(max_bytes + 1)
