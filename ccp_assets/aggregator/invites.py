"""Invite codes: the invite file, and the ledger that counts how often each code was used.

Invite file (JSON): {"invites": {"<code>": {"plan": "pro", "features": ["telemetry_full"], "days": 30,
"max_uses": null | N, "expires": null | "YYYY-MM-DD", "org": null | "<team>"}}}. `org` is signed into every
license the code issues: the aggregator's team view sums them as one team (issue 18).

Uses are counted in an `InviteLedger`. Mounted in the aggregator, the ledger is the aggregator's own
`Storage` (a table beside the uploads), so a single-use code stays used after a restart (issue 14: the
count used to live in memory and a restart made every used-up code valid again). The ledger only ever
sees `invite_id(code)`, a SHA-256 digest: the database holds no usable invite code.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from ccp_assets.licensing.pack import PLANS, is_org


@dataclass
class Invite:
    plan: str
    features: tuple[str, ...]
    days: float
    max_uses: int | None = None
    expires: float | None = None
    org: str | None = None


class InviteLedger(Protocol):
    """Counts uses of invite codes; `use_invite` must be atomic (check and increment in one step)."""

    def invite_uses(self, invite_id: str) -> int: ...

    def use_invite(self, invite_id: str, max_uses: int | None) -> bool: ...


class MemoryInviteLedger:
    """The ledger of an issuer mounted without a database (tests, a throwaway issuer): lost on restart."""

    def __init__(self) -> None:
        self._uses: dict[str, int] = {}
        self._lock = threading.Lock()

    def invite_uses(self, invite_id: str) -> int:
        with self._lock:
            return self._uses.get(invite_id, 0)

    def use_invite(self, invite_id: str, max_uses: int | None) -> bool:
        """Count one use; False (nothing counted) when the code is already used `max_uses` times."""
        with self._lock:
            uses = self._uses.get(invite_id, 0)
            if max_uses is not None and uses >= max_uses:
                return False
            self._uses[invite_id] = uses + 1
            return True


def invite_id(code: str) -> str:
    """What the ledger stores instead of the code itself."""
    return "sha256:" + hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def parse_invites(doc: Any) -> dict[str, Invite]:
    """Invite codes from the invite file's JSON (see the module docstring)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("invites"), dict):
        raise ValueError('invite file must be {"invites": {"<code>": {"plan", "features", "days"}}}')
    out: dict[str, Invite] = {}
    for code, spec in doc["invites"].items():
        if not isinstance(spec, dict) or spec.get("plan") not in PLANS:
            raise ValueError(f"invite {code!r}: plan must be one of {', '.join(PLANS)}")
        feats = spec.get("features", [])
        if not isinstance(feats, list) or not all(isinstance(f, str) for f in feats):
            raise ValueError(f"invite {code!r}: features must be a list of strings")
        max_uses = spec.get("max_uses")
        if max_uses is not None and (
            not isinstance(max_uses, int) or isinstance(max_uses, bool) or max_uses < 0
        ):
            raise ValueError(f"invite {code!r}: max_uses must be null or a non-negative integer")
        expires = spec.get("expires")
        exp_ts = None
        if expires is not None:
            d = date.fromisoformat(expires)
            exp_ts = datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()
        org = spec.get("org")
        if org is not None and not (isinstance(org, str) and is_org(org)):
            raise ValueError(f"invite {code!r}: org must be 1-64 letters, digits, '.', '_' or '-'")
        out[code] = Invite(spec["plan"], tuple(feats), float(spec.get("days", 30)), max_uses, exp_ts, org)
    return out
