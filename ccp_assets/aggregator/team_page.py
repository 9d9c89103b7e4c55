"""The `/team` dashboard: one HTML page rendered on the server from the team daily report (team.py).

No script and no external asset (a team's network may be closed): charts are inline SVG, stacked bars
drawn from the same sums the JSON API answers. Sections: totals per day (cost, tokens, devices), cost
per day stacked by model and by device, tokens per day by kind, E and E_q per provider, model mix, and
routing lanes (not part of a minimized upload: the page says so instead of showing nothing). Every value
comes from numbers or fixed vocabularies (model ids, providers, hashed device ids) and is HTML-escaped
anyway.
"""

from __future__ import annotations

from html import escape
from typing import Any

PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")
KINDS = (
    ("inputTokens", "input"),
    ("outputTokens", "output"),
    ("cacheCreationTokens", "cache creation"),
    ("cacheReadTokens", "cache read"),
)
CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:10px;height:10px;margin-right:4px}.note{color:#666}
"""


def short(device: str) -> str:
    """A device id as shown: its first 8 hex digits (the full id is in the title attribute)."""
    return device[:8]


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _legend(names: list[str], colors: dict[str, str], label: Any = str) -> str:
    items = "".join(
        f'<span><i class="sw" style="background:{colors[n]}"></i>{escape(label(n))}</span>' for n in names
    )
    return f'<div class="legend">{items}</div>'


def stacked_bars(
    title: str, periods: list[str], series: dict[str, list[float]], fmt: Any = _money, label: Any = str
) -> str:
    """An inline-SVG stacked bar chart: one bar per period, one colored segment per series."""
    names = sorted(series, key=lambda n: -sum(series[n]))
    colors = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    totals = [sum(series[n][i] for n in names) for i in range(len(periods))]
    top = max(totals, default=0) or 1
    width, height, bar = max(320, 70 * len(periods) + 60), 220, 40
    parts = [f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height + 40}">']
    for i, period in enumerate(periods):
        x, y = 50 + i * 70, height
        for n in names:
            h = series[n][i] / top * (height - 20)
            if h > 0:
                y -= h
                tip = f"{label(n)} {period}: {fmt(series[n][i])}"
                parts.append(
                    f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colors[n]}">'
                    f"<title>{escape(tip)}</title></rect>"
                )
        parts.append(f'<text x="{x}" y="{height + 15}" font-size="11">{escape(period)}</text>')
        parts.append(f'<text x="{x}" y="{y - 4:.1f}" font-size="11">{escape(fmt(totals[i]))}</text>')
    parts.append("</svg>")
    return f"<h2>{escape(title)}</h2>{_legend(names, colors, label)}{''.join(parts)}"


def _series(
    rows: list[dict[str, Any]], list_key: str, name_key: str, value_key: str
) -> dict[str, list[float]]:
    names = sorted({b[name_key] for r in rows for b in r[list_key]})
    return {n: [sum(b[value_key] for b in r[list_key] if b[name_key] == n) for r in rows] for n in names}


def _days_table(rows: list[dict[str, Any]], totals: dict[str, Any]) -> str:
    body = "".join(
        f'<tr data-day="{escape(r["period"])}"><td class="l">{escape(r["period"])}</td>'
        f'<td data-testid="day-cost">{_money(r["totalCost"])}</td><td>{r["totalTokens"]:,}</td>'
        f'<td class="l" data-testid="day-devices">'
        + ", ".join(
            f'<span title="{escape(d["device"])}">{escape(short(d["device"]))}</span>' for d in r["devices"]
        )
        + f'</td><td class="l">{escape(", ".join(r["modelsUsed"]))}</td></tr>'
        for r in rows
    )
    foot = (
        f'<tr><th class="l">total</th><th data-testid="total-cost">{_money(totals.get("totalCost", 0))}</th>'
        f"<th>{totals.get('totalTokens', 0):,}</th><th></th><th></th></tr>"
    )
    head = '<tr><th class="l">day</th><th>cost</th><th>tokens</th><th class="l">devices</th><th class="l">models</th></tr>'
    return f'<h2>Per day</h2><table id="days">{head}{body}{foot}</table>'


def _efficiency(rows: list[dict[str, Any]]) -> str:
    sums: dict[str, dict[str, Any]] = {}
    for r in rows:
        for p, v in r["efficiency_by_provider"].items():
            s = sums.setdefault(
                p, {"features": 0.0, "capacity": 0.0, "quality": 0.0, "unit": v["capacity_unit"]}
            )
            s["features"] += v["features"]
            s["capacity"] += v["capacity"]
            s["quality"] += (v["e_q"] or 0) * v["capacity"]
    if not sums:
        return (
            '<h2>E and E_q per provider</h2><p class="note">No AgentOS capacity windows in these uploads.</p>'
        )
    body = "".join(
        f'<tr><td class="l">{escape(p)}</td><td>{s["features"]:g}</td><td>{s["capacity"]:g} {escape(s["unit"] or "")}</td>'
        f"<td>{(s['features'] / s['capacity']) if s['capacity'] else 0:.4g}</td>"
        f"<td>{(s['quality'] / s['capacity']) if s['capacity'] else 0:.4g}</td></tr>"
        for p, s in sorted(sums.items())
    )
    head = '<tr><th class="l">provider</th><th>features</th><th>capacity</th><th>E</th><th>E_q</th></tr>'
    return f'<h2>E and E_q per provider</h2><p class="note">Σ features / Σ capacity over the period, never an average of ratios.</p><table>{head}{body}</table>'


def _model_mix(rows: list[dict[str, Any]]) -> str:
    tokens: dict[str, float] = {}
    cost: dict[str, float] = {}
    for r in rows:
        for b in r["modelBreakdowns"]:
            n = b["modelName"]
            tokens[n] = tokens.get(n, 0) + sum(b[k] for k, _ in KINDS)
            cost[n] = cost.get(n, 0) + b["cost"]
    all_t, all_c = sum(tokens.values()) or 1, sum(cost.values()) or 1
    body = "".join(
        f'<tr><td class="l">{escape(n)}</td><td>{tokens[n] / all_t:.1%}</td><td>{cost[n] / all_c:.1%}</td>'
        f"<td>{_money(cost[n])}</td></tr>"
        for n in sorted(cost, key=lambda n: -cost[n])
    )
    head = '<tr><th class="l">model</th><th>share of tokens</th><th>share of cost</th><th>cost</th></tr>'
    return f"<h2>Model mix</h2><table>{head}{body}</table>"


def render(report: dict[str, Any]) -> str:
    """The whole page for a team daily report (team_routes.report)."""
    rows = report["daily"]
    periods = [r["period"] for r in rows]
    team = report.get("team") or ("all teams" if len(report.get("teams", [])) != 1 else report["teams"][0])
    devices = [d["device"] for d in report.get("devices", [])]
    span = f"{periods[0]} … {periods[-1]}" if periods else "no uploads in this range"
    kinds = {label: [r[k] for r in rows] for k, label in KINDS}
    sections = [
        f"<h1>Team view: {escape(str(team))}</h1>",
        f'<p>{escape(span)} · <span data-testid="device-count">{len(devices)}</span> devices: '
        + ", ".join(f'<span class="device" title="{escape(d)}">{escape(short(d))}</span>' for d in devices)
        + "</p>",
        _days_table(rows, report.get("totals", {})),
        stacked_bars("Cost per day by model", periods, _series(rows, "modelBreakdowns", "modelName", "cost")),
        stacked_bars(
            "Cost per day by device",
            periods,
            _series(rows, "devices", "device", "totalCost"),
            label=short,
        ),
        stacked_bars("Tokens per day by kind", periods, kinds, fmt=lambda x: f"{x:,.0f}"),
        _efficiency(rows),
        _model_mix(rows),
        '<h2>Routing lanes</h2><p class="note">Routing lanes are not part of a minimized upload (METRICS.md: '
        "routing is not a starred field); see each install's own <code>ccp daily</code> report.</p>",
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ccp team view</title>'
        f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>"
    )
