"""Privacy layer: what may leave the machine per tier (local, minimized, full).

- `redact`: layered, data-driven redaction of free text (full tier);
- `hashing`: per-install secret and keyed hashes (ids that stay joinable but unreadable);
- `minimize`: the minimized tier's allow-list and its last-guard check;
- `tiers`: tier order and capping.
"""

from importlib import import_module
from typing import Any

# Names resolved on first use (PEP 562): `settings` imports `privacy.tiers`, and importing the package must not
# compile the redaction rules (~60 ms of every `ccp report` start, measured with -X importtime).
_HOME = {
    "install_secret": "hashing", "is_keyed_hash": "hashing", "keyed_hash": "hashing",
    "MINIMIZED_FIELDS": "minimize", "MinimizationError": "minimize", "assert_minimized": "minimize",
    "minimize_summary": "minimize",
    "RedactionResult": "redact", "Redactor": "redact", "default_redactor": "redact", "redact_value": "redact",
    "Rule": "rules",
    "TIER_ORDER": "tiers", "min_tier": "tiers", "normalize_tier": "tiers", "tier_allows": "tiers",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
