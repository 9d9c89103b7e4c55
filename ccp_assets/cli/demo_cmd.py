"""`ccp demo-data`: write realistic Claude Code, CCP proxy, AgentOS and git demo data (INTERFACES.md)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ccp_assets.settings import ConfigError

if TYPE_CHECKING:
    from ccp_assets.demo.generate import DemoManifest


def _parse_day(value: str | None) -> dt.date | None:
    from ccp_assets.settings import check_day

    return None if value is None else check_day(value, "--end")  # ConfigError: one line, exit 2


def demo_data(
    out: Path = typer.Option(..., "--out", help="Directory to write into (empty, or written by demo-data before)."),
    days: int = typer.Option(7, "--days", min=1, help="Number of days ending at --end."),
    scale: int = typer.Option(1, "--scale", min=1, help="Multiplies sessions and proxy requests per day."),
    seed: int = typer.Option(7, "--seed", help="Same seed, same bytes."),
    end: str | None = typer.Option(None, "--end", help="Last day, YYYY-MM-DD (default: yesterday UTC)."),
) -> None:
    """Write realistic, seeded logs for every source and print what was written."""
    from ccp_assets.demo import write_demo_data  # lazy: keeps `ccp --help` instant

    try:
        manifest = write_demo_data(out, days=days, scale=scale, seed=seed, end=_parse_day(end))
    except (FileExistsError, ConfigError) as exc:  # said here too, so the command works outside errors.run
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _print_summary(manifest)


def _print_summary(m: DemoManifest) -> None:
    head = (f"demo data {m.start} .. {m.end} ({m.days} days, scale {m.scale}, seed {m.seed}) in {m.out}: "
            f"{m.total_bytes / 1e6:.1f} MB, {m.commits} commits, {m.mb_per_s:.0f} MB/s "
            f"({m.mb_per_cpu_s:.0f} MB per CPU second)")
    rows = [(name, st.files, st.lines, st.bytes) for name, st in sorted(m.sources.items())]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=head)
        for col in ("source", "files", "lines", "bytes"):
            table.add_column(col, justify="left" if col == "source" else "right")
        for name, files, lines, nbytes in rows:
            table.add_row(name, f"{files:,}", f"{lines:,}", f"{nbytes:,}")
        Console().print(table)
    else:
        typer.echo(head)
        for name, files, lines, nbytes in rows:
            typer.echo(f"  {name:<8} files={files} lines={lines} bytes={nbytes}")
    typer.echo("point the platform at it with:")
    for key, value in m.env().items():
        typer.echo(f"  export {key}={value}")


def register(app: typer.Typer) -> None:
    """Add `demo-data` to the root app (called from ccp_assets.cli.commands)."""
    app.command("demo-data")(demo_data)
