"""`ccp report daily`: tokens and cost per day and model from the warehouse."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from ccp_assets.settings import load_settings

report_app = typer.Typer(no_args_is_help=True, help="Reports answered from the warehouse (no raw re-read).")


@report_app.command("daily")
def daily(
    as_json: bool = typer.Option(False, "--json", help="ccusage-compatible JSON on stdout, nothing else"),
    since: str = typer.Option(None, "--since", help="first day (YYYY-MM-DD or YYYYMMDD)"),
    until: str = typer.Option(None, "--until", help="last day (YYYY-MM-DD or YYYYMMDD)"),
    timezone: str = typer.Option(None, "--timezone", help="IANA zone for days (default CCP_TIMEZONE)"),
) -> None:
    """Tokens of each kind and estimated cost per day and model."""
    from ccp_assets.reports.daily import daily_report, open_read_only, parse_day

    settings = load_settings()
    conn = open_read_only(settings.warehouse_path)
    try:
        report = daily_report(conn, timezone or settings.timezone, parse_day(since), parse_day(until))
    finally:
        if conn is not None:
            conn.close()
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    _table(report)


def _table(report: dict) -> None:
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # piped output: never squeeze days and numbers into 80 columns
    if not report["daily"]:
        console.print("No usage in the warehouse yet: run `ccp materialize` first.")
        return
    t = Table(title="Claude Code usage by day")
    for col, just in (("day", "left"), ("models", "left"), ("input", "right"), ("output", "right"),
                      ("cache write", "right"), ("cache read", "right"), ("total tokens", "right"),
                      ("cost (USD)", "right")):
        t.add_column(col, justify=just, no_wrap=True)  # type: ignore[arg-type]
    for d in report["daily"]:
        t.add_row(d["period"], "\n".join(d["modelsUsed"]), f"{d['inputTokens']:,}", f"{d['outputTokens']:,}",
                  f"{d['cacheCreationTokens']:,}", f"{d['cacheReadTokens']:,}", f"{d['totalTokens']:,}",
                  f"{d['totalCost']:,.2f}")
    tot = report["totals"]
    t.add_row("total", "", f"{tot['inputTokens']:,}", f"{tot['outputTokens']:,}", f"{tot['cacheCreationTokens']:,}",
              f"{tot['cacheReadTokens']:,}", f"{tot['totalTokens']:,}", f"{tot['totalCost']:,.2f}", style="bold")
    console.print(t)
