"""`ccp materialize`: the whole graph for a range of days, as one Dagster run visible in the UI."""

from __future__ import annotations

import sys
from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from ccp_assets.settings import load_settings

err = Console(stderr=True)
out = Console()


def materialize(
    start: str = typer.Option(None, "--start", help="first day (YYYY-MM-DD); default: first day with data"),
    end: str = typer.Option(None, "--end", help="last day (YYYY-MM-DD); default: last day with data"),
    select: str = typer.Option(None, "--select", help="Dagster asset selection, e.g. 'key:daily_summary+'"),
) -> None:
    """Land new source bytes, then materialize every layer for the days in range (one run)."""
    from ccp_assets import runs

    settings = load_settings()
    runs.ensure_dagster_home(settings)
    with err.status("landing new source bytes…", spinner="dots") if err.is_terminal else _null():
        landed = runs.land_all(settings)
    for name, r in landed["results"].items():
        if r.lines_landed or r.quarantined or r.held:
            err.print(f"landed {name}: {r.lines_landed} new lines from {r.files_read} files"
                      f"{f', {r.quarantined} quarantined' if r.quarantined else ''}"
                      f"{f', {r.held} held (unfinished last line)' if r.held else ''}")
    if not landed["days"] and not (start or end):
        err.print("nothing to materialize: no source has data (set CLAUDE_CONFIG_DIR, CCP_USAGE_LOG_DIR, "
                  "CCP_AGENTOS_DATA_DIR or CCP_REPO_DIR, or run `ccp demo-data`).")
        raise typer.Exit(0)
    days = landed["days"] if (start or end) else runs.days_to_run(landed)
    rng = runs.clamp_range(days, _day(start), _day(end), settings)
    if rng is None:
        err.print("everything is up to date: no new source bytes since the last run.")
        raise typer.Exit(0)
    if err.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn(f"materializing {rng[0]}..{rng[1]}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True) as bar:
            task = bar.add_task("starting…", total=None)

            def step(done: int, total: int, key: str) -> None:
                bar.update(task, completed=done, total=total, description=key)

            outcome = runs.materialize(*rng, selection=select, progress=step)
    else:
        outcome = runs.materialize(*rng, selection=select)
    _summary(outcome)
    for line in outcome.failures:
        print(f"FAILED {line}", file=sys.stderr)
    failed_checks = [c for c in outcome.checks if not c["passed"] and (c["partition"] or rng[0] == rng[1])]
    for c in failed_checks:
        print(f"CHECK FAILED {c['asset']}:{c['check']} [{c['partition'] or rng[0]}] (blocking; its day is withheld "
              f"from measurements, rollups and uploads): {c['metadata'].get('summary', '')}", file=sys.stderr)
    if not outcome.success or outcome.failures or failed_checks:
        raise typer.Exit(1)


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a day (YYYY-MM-DD)") from None


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> None:
        return None


def _summary(outcome) -> None:  # noqa: ANN001
    table = Table(title=f"run {outcome.run_id[:8]} · {outcome.start}..{outcome.end} · "
                        f"{'success' if outcome.success else 'FAILED'}", show_lines=False)
    table.add_column("asset")
    table.add_column("partitions", justify="right")
    table.add_column("highlights")
    for key, info in outcome.materialized.items():
        meta = info.get("metadata", {})
        keys = ("new_lines", "quarantined_lines", "turns", "sessions", "estimated_usd", "days_with_data",
                "unpriced_models", "withheld")
        hl = ", ".join(f"{k}={sorted(meta[k]) if k == 'withheld' else meta[k]}" for k in keys
                       if k in meta and (meta[k] or k != "withheld"))
        table.add_row(key, str(info["partitions"]), hl)
    err.print(table)
