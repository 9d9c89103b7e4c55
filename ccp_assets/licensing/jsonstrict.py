"""Strict JSON, one module for the whole product: canonical bytes, bounded size, no ambiguity.

Signatures cover `json.dumps(body, sort_keys=True, separators=(",", ":"))`, so how a pack file is spaced or
ordered does not matter. What must never happen is two readers seeing two different documents in the
same bytes: duplicate keys, NaN/Infinity and absurd numbers are refused instead of being silently
resolved one way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from ccp_assets.licensing.errors import LicenseError

MAX_DOC_BYTES = 64 * 1024  # a real pack is < 1 KiB; the cap keeps a hostile file from costing memory/CPU
MAX_INT_DIGITS = 19  # epoch seconds and versions fit in int64; longer numbers are never legitimate


def canonical_bytes(body: Any) -> bytes:
    """Canonical JSON, the one spelling: the exact bytes that are signed (INTERFACES.md, "License pack"), and
    the bytes the upload outbox stores, hashes and sends. Sorted keys, no spaces, ASCII only; NaN/Infinity
    refused (ValueError), since no strict reader would accept them back."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode("ascii")


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


class _Refused(Exception):  # noqa: N818 - internal signal, never escapes loads_strict
    """Raised inside json's hooks; not a ValueError, so json.loads cannot mistake it for its own."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _unique(doc: str, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Refused(f"duplicate key {show(key)} in a JSON object (ambiguous {doc})")
        out[key] = value
    return out


def _int(max_digits: int | None, text: str) -> int:
    if max_digits is not None and len(text.lstrip("-")) > max_digits:
        raise _Refused(f"malformed JSON: a number has more than {max_digits} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("malformed JSON: a number is out of range")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"malformed JSON: {name} is not allowed")


def _depth(doc: Any) -> int:
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return deepest


def loads_strict(
    raw: bytes | str,
    *,
    max_bytes: int | None = MAX_DOC_BYTES,
    max_int_digits: int | None = MAX_INT_DIGITS,
    max_depth: int | None = None,
    unique_keys: bool = True,
    what: str = "input",
    doc: str = "pack",
    error: Callable[[str], Exception] = LicenseError,
) -> Any:
    """Parse one JSON document strictly, or raise `error(reason)` with a one-line reason.

    Refused: more than `max_bytes`, empty, non-UTF-8, malformed, NaN/Infinity, non-finite or over-long
    numbers, duplicate keys (when `unique_keys`) and nesting deeper than `max_depth`. The one parser for
    signed packs (the defaults) and the aggregator's upload bodies (aggregator/body.parse_json).
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    try:
        if max_bytes is not None and len(data) > max_bytes:
            raise _Refused(f"{what} too large (over the {max_bytes}-byte limit for a signed {doc})")
        if not data.strip():
            raise _Refused(f"empty {what} (not a {doc})")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise _Refused(f"not UTF-8 text at byte {e.start} (not a {doc})") from None
        try:
            value = json.loads(
                text,
                object_pairs_hook=partial(_unique, doc) if unique_keys else None,
                parse_int=partial(_int, max_int_digits),
                parse_float=_float,
                parse_constant=_constant,
            )
        except json.JSONDecodeError as e:
            raise _Refused(f"malformed JSON at position {e.pos} (line {e.lineno}, column {e.colno}): {e.msg}") from None
        except RecursionError:
            raise _Refused("malformed JSON: nesting too deep") from None
        except ValueError as e:  # e.g. an integer past Python's digit limit
            raise _Refused(f"malformed JSON: {str(e)[:80]}") from None
        if max_depth is not None and _depth(value) > max_depth:
            raise _Refused(f"malformed JSON: nested deeper than {max_depth} levels")
        return value
    except _Refused as r:
        raise error(r.reason) from None


def read_capped(path: Path, *, max_bytes: int = MAX_DOC_BYTES) -> bytes:
    """Read at most one byte past the cap, so a huge file is refused without being loaded."""
    with open(path, "rb") as fh:
        return fh.read(max_bytes + 1)
