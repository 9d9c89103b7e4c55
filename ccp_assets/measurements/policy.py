"""Policy findings per day (`policy_findings`), PRODUCT.md "Licensing and policy".

The plan and its features come from the license in force when the measurement runs
(`licensing.current_license`; no valid license = the community plan, no features).
- models_mixed: a non-Anthropic model answered calls (the day's counted calls, by the provider that
  really answered), or GLM prompts were used (AgentOS GLM windows), under a plan without `models_mixed`.
- policy_model: with a verified policy pack cached, a model its `allowed_models` does not list for the plan.
Codex windows are not findings: Codex is its own subscription, not a model routed by CCP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from ccp_assets.measurements.glm import GLM_PROMPTS_SQL
from ccp_assets.warehouse.bulk import insert_rows

ANTHROPIC = "anthropic"


@dataclass(frozen=True)
class LicenseView:
    plan: str
    mixed: bool
    why: str
    policy: Any = None


def license_view(settings: Any) -> LicenseView:
    from ccp_assets.licensing import current_license, load_policy

    lic, why = current_license(settings)
    if lic is None:
        return LicenseView("community", False, f"no valid license ({why})")
    policy = None
    if lic.has("policy_packs"):
        policy, _ = load_policy(settings, time.time())
    return LicenseView(lic.plan, lic.has("models_mixed"), why, policy)


def policy_day(conn: duckdb.DuckDBPyConnection, view: LicenseView, day: str) -> list[dict[str, Any]]:
    d = date.fromisoformat(day)
    used = conn.execute("""SELECT provider, model, count(*) FROM priced_turns WHERE day = ?
        GROUP BY 1, 2 ORDER BY 1, 2""", [d]).fetchall()
    glm_prompts = conn.execute(f"SELECT sum(prompts) FILTER (WHERE prompts > 0) FROM ({GLM_PROMPTS_SQL})",
                               {"day": d}).fetchone()[0]
    rows: list[dict[str, Any]] = []
    if not view.mixed:
        for provider, model, n in used:
            if provider and provider not in (ANTHROPIC, "unknown"):
                rows.append({"kind": "models_mixed", "provider": provider, "model": model, "calls": n,
                             "finding": f"{n} call(s) answered by {model} ({provider}) under the {view.plan} plan, "
                                        "which does not include models_mixed"})
        if glm_prompts and not any(p == "zai" for p, _, _ in used):
            rows.append({"kind": "models_mixed", "provider": "zai", "model": "glm", "calls": int(glm_prompts),
                         "finding": f"{int(glm_prompts)} GLM prompt(s) used (AgentOS windows) under the "
                                    f"{view.plan} plan, which does not include models_mixed"})
    if view.policy is not None:
        for provider, model, n in used:
            if model and not view.policy.model_allowed(view.plan, model):
                rows.append({"kind": "policy_model", "provider": provider, "model": model, "calls": n,
                             "finding": f"{n} call(s) answered by {model}, which policy v{view.policy.version} "
                                        f"does not allow for the {view.plan} plan"})
    for r in rows:
        r.update({"day": d, "plan": view.plan})
    conn.execute("DELETE FROM policy_findings WHERE day = ?", [d])
    insert_rows(conn, "policy_findings", rows)
    return rows
