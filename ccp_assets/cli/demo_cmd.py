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
    from ccp_assets.settings import Settings


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


def sources_with_data(settings: Settings) -> list[str]:
    """The sources that hold data: enabled, with at least one file that has bytes.

    An empty `~/.claude/projects` enables Claude Code but holds nothing; counting it as a source is what
    kept `make run` from writing demo data and left the UI empty (issue 15).
    """
    from ccp_assets.sources.registry import SOURCES

    def has_bytes(path: Path) -> bool:
        try:
            return path.stat().st_size > 0
        except OSError:
            return False

    return [a.name for a in SOURCES if a.enabled(settings) and any(has_bytes(p) for p in a.files(settings))]


def _demo_manifest(out: Path) -> DemoManifest:
    """The demo under `out`: the one written before (its manifest, same days), else a new one."""
    import json

    from ccp_assets.demo import write_demo_data
    from ccp_assets.demo.generate import DemoManifest

    saved = out / "demo_manifest.json"
    if saved.is_file():
        m = json.loads(saved.read_text(encoding="utf-8"))
        return DemoManifest(out=out, start=dt.date.fromisoformat(m["start"]), end=dt.date.fromisoformat(m["end"]),
                            days=m["days"], scale=m["scale"], seed=m["seed"],
                            roots={k: out / v for k, v in m["roots"].items()}, sources={},
                            source_env={k: str(out / v) for k, v in m.get("source_env", {}).items()})
    return write_demo_data(out, days=7)


def first_run_env() -> None:
    """Print the `export` lines `make run` evaluates: demo data when no source holds data, and the first
    daily partition at the first day with data (unless CCP_START_DATE is set)."""
    import os
    import shlex

    from ccp_assets.partitions import first_day_with_data
    from ccp_assets.settings import load_settings

    settings = load_settings()
    settings.require_sources()  # a configured folder that is not there: one line, exit 2
    env: dict[str, str] = {}
    names = sources_with_data(settings)
    if names:
        typer.echo(f"Sources with data: {', '.join(names)}", err=True)
        first = first_day_with_data(settings)
        if first is not None:
            env["CCP_START_DATE"] = max(first, settings.start_date).isoformat()
    else:
        demo = settings.ccp_home / "demo"
        typer.echo(f"No source configured: writing demo data to {demo} (no source holds a file with data)"
                   if not (demo / "demo_manifest.json").is_file() else f"No source holds data: using the demo "
                   f"data in {demo}", err=True)
        try:
            env.update(_demo_manifest(demo).env())
        except FileExistsError as exc:
            raise ConfigError("CCP_HOME", settings.ccp_home, f"{exc}; move it or set CCP_HOME elsewhere") from None
    if os.environ.get("CCP_START_DATE"):
        env.pop("CCP_START_DATE", None)  # the user's own first day wins
    for key, value in env.items():
        typer.echo(f"export {key}={shlex.quote(value)}")


def register(app: typer.Typer) -> None:
    """Add `demo-data` (and `make run`'s hidden `first-run-env`) to the root app (ccp_assets.cli.commands)."""
    app.command("demo-data")(demo_data)
    app.command("first-run-env", hidden=True)(first_run_env)
