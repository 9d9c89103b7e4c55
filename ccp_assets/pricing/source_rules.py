"""A source's own price rules as rows of `source_prices`: its package's `prices.json` says the rules, the
`turn_costs` view (pricing/table.py) applies them to that source's turns and to no other source's.

Why a table of its own and not more rows of `prices`: a source's rules can price a model the shipped table
also prices differently (ccusage 20.0.24 prices Codex's gpt-5 cache writes at 1.5625 $/M, the shipped table
at 0), and `prices` keeps one row per model. What a source's `prices.json` may say, beside its `models`
(shaped like prices_v1.json):
- `source`: the `source` value of the turns the rules are for (its `Source.rows_source`);
- `long_context_basis`: `request_input` (every token of a request at the long-context rates once the
  request's input, cached included, is above the threshold: ccusage's Codex rule) or `per_kind` (the
  default: only the tokens of a kind above the threshold, ccusage's Claude rule);
- `model_aliases`: {label: [{from, model}, ...]}: a label priced as the newest model on or before the
  turn's UTC day (Codex's `codex-auto-review`), one row per step with `valid_from`;
- `aliases`: {alias: model} that always hold (one row from 0001-01-01);
- `missing_model`: the model a turn without one is priced as (the row `<missing>`).
A dated snapshot name of a model the table prices (`gpt-5.4-20260305`, `gpt-5.4-2026-03-05`) is priced as that
model, long context included; under the fast tier the first spelling takes the model's fast multiplier and the
second does not. Measured with ccusage 20.0.24 (`codex daily --offline`, 100k input tokens under service tier
priority: gpt-5.4 and gpt-5.4-20260305 $0.50, gpt-5.4-2026-03-05 $0.25); rules of the view (pricing/table.py).
"""

from __future__ import annotations

from typing import Any

from ccp_assets.pricing.table import PRICE_COLUMNS, SOURCE_PRICES, source_price_tables

ALWAYS = "0001-01-01"
MISSING = "<missing>"
COLUMNS = ("source", "model", "valid_from", "valid_to", "priced_as", "provider", *PRICE_COLUMNS, "lc_threshold",
           *(f"lc_{c}" for c in PRICE_COLUMNS), "lc_basis", "fast_multiplier", "price_version")


def _row(source: str, name: str, valid_from: str, m: dict[str, Any], basis: str, version: str,
         valid_to: str | None = None) -> list[Any]:
    lc = m.get("long_context") or {}
    return [source, name, valid_from, valid_to, m["model"], m["provider"], *(m[c] for c in PRICE_COLUMNS), lc.get("threshold"),
            *(lc.get(c) for c in PRICE_COLUMNS), basis, m.get("fast_multiplier"), version]


def source_rows(table: dict[str, Any]) -> list[list[Any]]:
    """The `source_prices` rows of one source's price table (in COLUMNS order)."""
    if "source" not in table:
        raise ValueError(f"a source's {SOURCE_PRICES} must name the `source` of its turns "
                         f"(version {table.get('version')!r}): add \"source\": \"<rows_source>\"")
    src, basis, version = table["source"], table.get("long_context_basis", "per_kind"), table["version"]
    by_name = {m["model"]: m for m in table["models"]}
    rows = [_row(src, m["model"], ALWAYS, m, basis, version) for m in table["models"]]
    rows += [_row(src, alias, ALWAYS, by_name[target], basis, version)
             for alias, target in table.get("aliases", {}).items()]
    for label, steps in table.get("model_aliases", {}).items():
        steps = sorted(steps, key=lambda e: e["from"])
        ends = [e["from"] for e in steps[1:]] + [None]
        rows += [_row(src, label, e["from"], by_name[e["model"]], basis, version, end)
                 for e, end in zip(steps, ends, strict=True)]
    if table.get("missing_model"):
        rows.append(_row(src, MISSING, ALWAYS, by_name[table["missing_model"]], basis, version))
    return rows


def all_source_rows() -> list[list[Any]]:
    """Every source package's rows."""
    return [r for table in source_price_tables() for r in source_rows(table)]
