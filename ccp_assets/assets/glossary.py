"""Plain words for the metric names the UI shows (docs/METRICS.md is the definition; this is the legend).

A team lead opening `daily_summary` in the Dagster UI saw `avg_cls`, `e_q_pp` and bare floats with nothing
to say what they mean (issue 15). Asset descriptions end with the entries of this glossary for the names
their metadata carries, so the explanation sits next to the plots.
"""

from __future__ import annotations

GLOSSARY: dict[str, str] = {
    "cost_usd_total": "estimated cost in US dollars of the day's model calls, each call counted once across "
                      "sources (price table shipped with the package)",
    "cost_usd_<source>": "the part of cost_usd_total (USD) that came from one source: claude_code, ccp_proxy_only, "
                         "agentos_proxy, ccc or agentos_windows; they add up to cost_usd_total",
    "estimated_usd": "USD of every source's rows priced before a call is counted once (what `ccp report daily` "
                     "shows for Claude Code)",
    "sessions": "coding-agent sessions with activity that day",
    "turns": "model calls (API responses) counted once",
    "features_shipped": "features whose BDD scenarios pass that day (else the AgentOS windows' or CCC sessions' "
                        "count, the basis named)",
    "capacity": "what the work used of a subscription: Δpp = percentage points the usage bar rose (Claude, "
                "Codex), prompts (GLM), Mtok = million API tokens",
    "e_<provider>": "E, efficiency: features shipped per unit of capacity for that provider (features/pp or "
                    "features/prompt); empty when no capacity was used",
    "e_q_<unit>": "E_q, quality-adjusted efficiency: Σ features × quality_score / capacity, per capacity unit "
                  "(pp, prompts, mtok); quality_score is the window's own, else 1 − churn_14d clamped to [0.5, 1]",
    "avg_cls": "Cognitive Load Score of the day's changes (weighted z-scores of files touched, module spread, "
               "import depth, Δ complexity, plan size, interface delta, cross-module references against the "
               "repository's last 90 days); 0 is a typical day, above 1.2 asks for stronger review",
    "avg_impf": "Interaction Minutes Per Feature: human minutes spent prompting (gaps capped at 5 min) per "
                "feature completed; lower is better, empty when no feature completed",
    "avg_churn_score": "share of the lines added that were changed or deleted again within 14 days (git "
                       "churn_14d; else the AgentOS window churn); lower is better",
    "churn_14d": "share of the day's added lines that `git blame` no longer attributes to them 14 days later",
    "lane": "a route of the CCP proxy (a provider and model it sends requests to); reroutes are requests it "
            "moved to another lane",
    "p50/p95": "latency in milliseconds that half (p50) or 95 % (p95) of the requests stayed under",
    "policy finding": "something the plan in force does not allow (a non-Anthropic model without "
                      "`models_mixed`, a model a policy pack excludes), named with the calls it concerns",
    "errors": "inputs that were missing or could not be used, each named (a number is never invented)",
    "notes": "remarks that are not errors: e.g. a churn window not over yet (provisional until it is)",
    "progress_log": "the day's section of $CCP_HOME/rollups/progress.log.md, the stand-up note in words",
    "withheld": "the day was held back because a blocking data-quality check failed (the reason named)",
}


def glossary(*terms: str) -> str:
    """The description suffix: a markdown list explaining `terms` (each must be in GLOSSARY)."""
    return "\n\nGlossary (docs/METRICS.md defines each):\n" + "\n".join(f"- `{t}`: {GLOSSARY[t]}" for t in terms)
