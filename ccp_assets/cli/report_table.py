"""The report as a rich table that fits the terminal, 80 columns included, never cutting a number.

Layouts are tried widest first and the first whose natural width fits is printed: all columns with the
models; without the models column (they move under the period); ccusage's compact set (period, input,
output, total, cost), which `--compact` also forces. A number is never shortened to "…": at 80 columns the
fixture's 13,673,668-token total fits in the second layout (tests/foundation/test_reports_ccusage.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.table import Table

NUMBERS = (("Input", "inputTokens"), ("Output", "outputTokens"), ("Cache\nCreate", "cacheCreationTokens"),
           ("Cache\nRead", "cacheReadTokens"), ("Total\nTokens", "totalTokens"))
COMPACT = ("inputTokens", "outputTokens", "totalTokens")
TITLES = {"daily": "Date", "weekly": "Week", "monthly": "Month", "session": "Session", "blocks": "Block Start"}


def short_model(name: str) -> str:
    """ccusage's table names: `claude-opus-4-6` -> `opus-4-6`, snapshot dates dropped."""
    return re.sub(r"-\d{8}$", "", name.removeprefix("claude-"))


def _label(kind: str, row: dict[str, Any], zone: str) -> str:
    if kind == "session":
        sid = row["period"]
        return sid[:8] if re.match(r"^[0-9a-f]{8}-", sid) else sid
    if kind == "blocks":
        start = datetime.fromisoformat(row["startTime"].replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
        state = " gap" if row["isGap"] else " ACTIVE" if row["isActive"] else ""
        return f"{start:%Y-%m-%d}\n{start:%H:%M}{state}"  # two short lines keep the column 10 wide
    return row["period"]


def _cost(x: float) -> str:
    return f"${x:,.2f}"


def build(kind: str, report: dict[str, Any], rows: list[dict[str, Any]], zone: str, layout: int,
          breakdown: bool, title: str) -> Table:
    """layout 0: with models; 1: models under the period; 2: compact (no cache columns)."""
    keys = COMPACT if layout == 2 else tuple(k for _, k in NUMBERS)
    t = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), show_footer=False)
    t.add_column(TITLES[kind], overflow="fold")  # a long session name folds; numbers never give way
    if layout == 0:
        t.add_column("Models", no_wrap=True)
    for head, key in NUMBERS:
        if key in keys:
            t.add_column(head, justify="right", no_wrap=True)
    t.add_column("Cost\n(USD)", justify="right", no_wrap=True)

    def line(label: str, models: str, vals: dict[str, Any], cost: float, style: str | None = None) -> None:
        cells = [label] + ([models] if layout == 0 else []) + [f"{vals[k]:,}" for k in keys] + [_cost(cost)]
        t.add_row(*cells, style=style)

    for r in rows:
        models = [short_model(m) for m in r["modelsUsed"]]
        label = _label(kind, r, zone)
        if layout == 0:
            line(label, "\n".join(models), r, r["totalCost"])
        else:
            line(label + "".join(f"\n  {m}" for m in models) if not breakdown else label, "", r, r["totalCost"])
        if breakdown:
            for m in r["modelBreakdowns"]:
                vals = m | {"totalTokens": sum(m[k] for k in ("inputTokens", "outputTokens", "cacheCreationTokens",
                                                                "cacheReadTokens"))}
                name = f"└ {short_model(m['modelName'])}"
                if layout == 0:
                    line("", name, vals, m["cost"], style="dim")
                else:
                    line(f"  {name}", "", vals, m["cost"], style="dim")
    tot = report["totals"]
    t.add_section()
    line("Total", "", tot, tot["totalCost"], style="bold")
    return t


def natural_width(table: Table) -> int:
    probe = Console(width=10_000, file=open("/dev/null", "w"), color_system=None)  # noqa: SIM115
    return probe.measure(table).maximum


def print_report(kind: str, report: dict[str, Any], rows: list[dict[str, Any]], zone: str, *, breakdown: bool,
                 compact: bool, title: str, console: Console | None = None) -> None:
    """Print the first layout that fits the console's width (compact when asked)."""
    console = console or Console()
    layouts = (2,) if compact else (0, 1, 2)
    for layout in layouts:
        table = build(kind, report, rows, zone, layout, breakdown, title)
        if natural_width(table) <= console.width or layout == layouts[-1]:
            console.print(table)
            if layout == 2 and not compact:
                console.print("[dim]compact: cache columns hidden to fit; widen the terminal or use --json[/dim]")
            return
