"""Privacy layer: what may leave the machine per tier (local, minimized, full).

- `redact`: layered, data-driven redaction of free text (full tier);
- `hashing`: per-install secret and keyed hashes (ids that stay joinable but unreadable);
- `minimize`: the minimized tier's allow-list and its last-guard check;
- `tiers`: tier order and capping.
"""

from .hashing import install_secret, is_keyed_hash, keyed_hash
from .minimize import MINIMIZED_FIELDS, MinimizationError, assert_minimized, minimize_summary
from .redact import RedactionResult, Redactor, default_redactor, redact_value
from .rules import Rule
from .tiers import TIER_ORDER, min_tier, normalize_tier, tier_allows

__all__ = [
    "MINIMIZED_FIELDS", "TIER_ORDER", "MinimizationError", "RedactionResult", "Redactor", "Rule",
    "assert_minimized", "default_redactor", "install_secret", "is_keyed_hash", "keyed_hash", "min_tier",
    "minimize_summary", "normalize_tier", "redact_value", "tier_allows",
]
