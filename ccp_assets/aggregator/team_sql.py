"""The read SQL shared by the SQLite and the PostgreSQL store (named parameters work in both): the
community daily aggregate and the team view.

`LATEST` keeps the newest day summary of each (team, device, day): a device re-uploading a day (the same
summary, or a late re-materialized one) replaces its earlier numbers instead of adding to them; two
devices of one team are two rows. A summary from a client without a device id counts as the device
"its license" (the scope), a license without an `org` as its own team (the scope again). Sums use
coalesce(sum(x), 0) so both databases answer 0 for "nothing", and the window runs inside the database,
so a team of 50 devices × 30 days is one indexed pass, not 1500 payloads parsed in Python.
"""

from __future__ import annotations

from typing import Any

from ccp_assets.aggregator.storage import Answer, MetricsRow, Receipt

# Community aggregate: sums over the newest summary per (license, day); `uploads` counts every summary.
AGG_LATEST = """
WITH ranked AS (
    SELECT id, scope, period, sessions, turns, features_shipped, cost_usd,
           ROW_NUMBER() OVER (PARTITION BY scope, period ORDER BY id DESC) AS rn
    FROM metrics WHERE is_day = 1 AND period >= :lo AND period <= :hi
), latest AS (SELECT * FROM ranked WHERE rn = 1)
"""
AGG_UPLOADS = "SELECT period, count(*) FROM metrics WHERE is_day = 1 AND period >= :lo AND period <= :hi GROUP BY period"
AGG_SUMS = (
    AGG_LATEST
    + """
SELECT period, count(*), coalesce(sum(sessions), 0), coalesce(sum(turns), 0),
       coalesce(sum(features_shipped), 0), coalesce(sum(cost_usd), 0)
FROM latest GROUP BY period ORDER BY period
"""
)
AGG_MODELS = (
    AGG_LATEST
    + """
SELECT l.period, mm.model, coalesce(sum(mm.tokens), 0), coalesce(sum(mm.cost_usd), 0) FROM latest l
JOIN metrics_models mm ON mm.metric_id = l.id GROUP BY l.period, mm.model ORDER BY l.period, mm.model
"""
)


def num(x: Any) -> int | float:
    """Sums come back as floats (or Decimals); show whole numbers as integers."""
    if x is None:
        return 0
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 2**63 else round(x, 6)


def aggregate_days(uploads: list[Any], sums: list[Any], models: list[Any]) -> list[dict[str, Any]]:
    """The `GET /v1/aggregate/daily` rows from the three queries above (same for both stores)."""
    counts = {day: n for day, n in uploads}
    by_day: dict[str, dict[str, Any]] = {}
    for day, licenses, sessions, turns, features, cost in sums:
        by_day[day] = {
            "date": day,
            "uploads": int(counts.get(day, 0)),
            "licenses": int(licenses),
            "sessions": num(sessions),
            "turns": num(turns),
            "features_shipped": num(features),
            "cost_usd": num(cost),
            "tokens_by_model": {},
            "cost_usd_by_model": {},
        }
    for day, model, tokens, cost in models:
        by_day[day]["tokens_by_model"][model] = num(tokens)
        by_day[day]["cost_usd_by_model"][model] = num(cost)
    return list(by_day.values())


TEAM_OF = "coalesce(m.team, m.scope)"
DEVICE_OF = "coalesce(m.device, m.scope)"

LATEST = f"""
WITH ranked AS (
    SELECT m.id, m.period, {DEVICE_OF} AS device, m.sessions, m.turns, m.features_shipped,
           ROW_NUMBER() OVER (PARTITION BY {TEAM_OF}, {DEVICE_OF}, m.period ORDER BY m.id DESC) AS rn
    FROM metrics m
    WHERE m.is_day = 1 AND m.period >= :lo AND m.period <= :hi
      AND (CAST(:team AS TEXT) IS NULL OR {TEAM_OF} = CAST(:team AS TEXT))
), latest AS (SELECT * FROM ranked WHERE rn = 1)
"""

DAYS = (
    LATEST
    + """
SELECT period, device, coalesce(sessions, 0), coalesce(turns, 0), coalesce(features_shipped, 0)
FROM latest ORDER BY period, device
"""
)

MODELS = (
    LATEST
    + """
SELECT l.period, l.device, mm.model,
       coalesce(sum(mm.input), 0), coalesce(sum(mm.output), 0), coalesce(sum(mm.cache_creation), 0),
       coalesce(sum(mm.cache_read), 0), coalesce(sum(mm.tokens), 0), coalesce(sum(mm.cost_usd), 0)
FROM latest l JOIN metrics_models mm ON mm.metric_id = l.id
GROUP BY l.period, l.device, mm.model ORDER BY l.period, l.device, mm.model
"""
)

PROVIDERS = (
    LATEST
    + """
SELECT l.period, mp.provider, coalesce(mp.unit, ''), coalesce(sum(mp.features), 0),
       coalesce(sum(mp.capacity), 0), coalesce(sum(mp.quality_features), 0)
FROM latest l JOIN metrics_providers mp ON mp.metric_id = l.id
GROUP BY l.period, mp.provider, coalesce(mp.unit, '') ORDER BY l.period, mp.provider
"""
)

TEAMS = "SELECT DISTINCT coalesce(team, scope) FROM metrics m ORDER BY 1"

INSERT_UPLOAD = """
INSERT INTO uploads (id, scope, idem_key, kind, kid, license_id, plan, received_at, status, answer,
                     fingerprint, bytes)
VALUES (:id, :scope, :key, :kind, :kid, :lic, :plan, :at, :status, :answer, :fp, :bytes)
"""

INSERT_METRIC = """
INSERT INTO metrics (upload_id, scope, period, is_day, sessions, turns, features_shipped, cost_usd, payload,
                     team, device)
VALUES (:u, :s, :p, :d, :se, :t, :f, :c, :pl, :team, :dev) RETURNING id
"""


def upload_params(receipt: Receipt, kind: str, answer: Answer, answer_json: str, size: int) -> dict[str, Any]:
    """INSERT_UPLOAD's parameters: the receipt, the answer to replay and the payload bytes (quota)."""
    return {
        "id": receipt.upload_id,
        "scope": receipt.scope,
        "key": receipt.idem_key,
        "kind": kind,
        "kid": receipt.kid,
        "lic": receipt.license_id,
        "plan": receipt.plan,
        "at": receipt.received_at,
        "status": answer.status,
        "answer": answer_json,
        "fp": receipt.fingerprint or None,
        "bytes": size,
    }


def metric_params(receipt: Receipt, row: MetricsRow, payload: str) -> dict[str, Any]:
    """INSERT_METRIC's parameters (a day is YYYY-MM-DD; a week YYYY-Www is stored, not summed daily)."""
    return {
        "u": receipt.upload_id,
        "s": receipt.scope,
        "p": row.period,
        "d": int(len(row.period) == 10),
        "se": row.sessions,
        "t": row.turns,
        "f": row.features_shipped,
        "c": row.cost_usd,
        "pl": payload,
        "team": receipt.team or None,
        "dev": row.device,
    }


INSERT_MODEL = """
INSERT INTO metrics_models (metric_id, model, tokens, cost_usd, input, output, cache_creation, cache_read)
VALUES (:metric_id, :model, :tokens, :cost_usd, :input, :output, :cache_creation, :cache_read)
"""

INSERT_PROVIDER = """
INSERT INTO metrics_providers (metric_id, provider, unit, features, capacity, quality_features)
VALUES (:metric_id, :provider, :unit, :features, :capacity, :quality_features)
"""

KINDS = ("input", "output", "cache_creation", "cache_read")


def model_params(metric_id: int, row: MetricsRow) -> list[dict[str, object]]:
    """One INSERT_MODEL parameter set per model of a MetricsRow."""
    tokens, costs, kinds = row.tokens_by_model, row.cost_by_model, row.kinds_by_model
    out = []
    for m in sorted(set(tokens) | set(costs) | set(kinds)):
        k = kinds.get(m, {})
        out.append(
            {
                "metric_id": metric_id,
                "model": m,
                "tokens": tokens.get(m),
                "cost_usd": costs.get(m),
                **{kind: k.get(kind) for kind in KINDS},
            }
        )
    return out


def provider_params(metric_id: int, row: MetricsRow) -> list[dict[str, object]]:
    """One INSERT_PROVIDER parameter set per provider of a MetricsRow."""
    return [
        {
            "metric_id": metric_id,
            "provider": p,
            "unit": s.unit,
            "features": s.features,
            "capacity": s.capacity,
            "quality_features": s.quality_features,
        }
        for p, s in sorted(row.providers.items())
    ]


def bounds(since: str | None, until: str | None, team: str | None = None) -> dict[str, str | None]:
    return {"team": team, "lo": since or "0000-00-00", "hi": until or "9999-99-99"}
