"""Pure measurement logic (METRICS.md), separate from the Dagster assets that schedule it.

Each module computes one family of numbers for one day from the normalized warehouse tables (and, for
churn and CLS, from the git repository itself) and replaces that day's rows in its measurement table:

    usage        priced_turns, usage_model_daily   every answered call once, priced by the model that answered
    features     features_daily                    features shipped (BDD > AgentOS windows > CCC sessions)
    churn        churn_daily                       window churn, churn_7d/14d/28d from git blame, churn_score
    efficiency   efficiency_windows/_daily         E and E_q per provider and capacity unit
    interaction  interaction_daily                 human interaction minutes per session, IMPF
    cls          cls_features                      the seven CLS inputs per day/window, z-scores, CLS
    mix          model_mix_daily, routing_daily    model/subagent shares, routing lanes
    policy       policy_findings                   non-Anthropic models under a plan without models_mixed
    entity       measurements                      v1 Measurement rows per day, window, session, feature

A number whose inputs are missing is NULL and its reason is in the row's `errors`, never an invented 0.
"""
