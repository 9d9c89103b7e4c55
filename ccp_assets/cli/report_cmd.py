"""`ccp report daily|weekly|monthly|session|blocks`: ccusage 20.0.24's reports, answered from the warehouse.

Reports are current: each one first lands new transcript bytes and, when days are new or were never
materialized, runs the graph for them (progress on stderr), so a first `ccp report` on a machine with
transcripts just works. `ccp report <agent> <kind>` (`claude`, and every other agent source in
sources/registry.py) narrows to one agent, as ccusage's namespaces do; the plain reports read every agent.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import typer
from rich.console import Console

from ccp_assets.cli.errors import ConfigError, fail
from ccp_assets.cli.main import current_settings
from ccp_assets.settings import Settings, check_day, check_timezone
from ccp_assets.sources.registry import agents

report_app = typer.Typer(no_args_is_help=True, help="ccusage's reports, answered from the warehouse.")
err = Console(stderr=True, soft_wrap=True)  # one message, one line, whatever the width

HELP = {"daily": "Tokens and cost per day and model.", "weekly": "Tokens and cost per ISO week (Monday).",
        "monthly": "Tokens and cost per month.", "session": "Tokens and cost per session (transcript).",
        "blocks": "Tokens and cost per 5-hour billing block (ccusage's blocks)."}


def _register(app: typer.Typer, kind: str, source: str | None) -> None:
    def command(
        as_json: bool = typer.Option(False, "--json", "-j", help="ccusage-compatible JSON on stdout, nothing else"),
        since: str = typer.Option(None, "--since", "-s", help="first day (YYYY-MM-DD or YYYYMMDD)"),
        until: str = typer.Option(None, "--until", "-u", help="last day, inclusive (YYYY-MM-DD or YYYYMMDD)"),
        timezone: str = typer.Option(None, "--timezone", "-z", help="IANA zone for days (default CCP_TIMEZONE)"),
        order: str = typer.Option(None, "--order", "-o", help="asc or desc (default: as ccusage)"),
        breakdown: bool = typer.Option(False, "--breakdown", "-b", help="a row per model under each period"),
        project: str = typer.Option(None, "--project", "-p", help="only this project (folder under projects/)"),
        instances: bool = typer.Option(False, "--instances", "-i", help="one report per project"),
        compact: bool = typer.Option(False, "--compact", help="narrow table: period, input, output, total, cost"),
        offline: bool = typer.Option(True, "--offline/--no-offline", "-O",
                                     help="accepted for ccusage habits; prices are always local"),
        session_id: str = typer.Option(None, "--id", help="only this session id", hidden=kind != "session"),
        active: bool = typer.Option(False, "--active", "-a", help="only the active block",
                                    hidden=kind != "blocks"),
        recent: bool = typer.Option(False, "--recent", "-r", help="blocks of the last 3 days and the active one",
                                    hidden=kind != "blocks"),
    ) -> None:
        _report(kind, source, as_json=as_json, since=since, until=until, timezone=timezone, order=order,
                breakdown=breakdown, project=project, instances=instances, compact=compact,
                keep=_keep(kind, session_id, active, recent))

    command.__doc__ = HELP[kind]
    app.command(kind)(command)


Keep = tuple[Callable[[dict], bool], str]


def _keep(kind: str, session_id: str | None, active: bool, recent: bool) -> Keep | None:
    """ccusage's row filters (`session --id`, `blocks --active`, `blocks --recent`) and how to name them."""
    if kind == "session" and session_id:
        return (lambda r: r["period"] == session_id), f"for session {session_id!r}"
    if kind == "blocks" and (active or recent):
        cutoff = (datetime.now(UTC) - timedelta(days=3)).isoformat().replace("+00:00", "Z")
        return ((lambda r: r["isActive"] or (recent and not active and r["startTime"] >= cutoff)),
                "in an active block" if active else "in the last 3 days")
    return None


def _report(kind: str, source: str | None, *, as_json: bool, since: str | None, until: str | None,
            timezone: str | None, order: str | None, breakdown: bool, project: str | None, instances: bool,
            compact: bool, keep: Keep | None = None) -> None:
    from ccp_assets.reports.usage import Query

    settings = current_settings()
    zone = check_timezone(timezone, "--timezone") if timezone else settings.timezone
    lo, hi = (check_day(since, "--since") if since else None), (check_day(until, "--until") if until else None)
    if lo and hi and lo > hi:
        raise ConfigError("--since", since, f"is after --until {until}; swap them")
    if order not in (None, "asc", "desc"):
        raise ConfigError("--order", order, "use asc or desc")
    if instances and kind not in ("daily", "weekly", "monthly"):
        fail(f"--instances groups daily, weekly and monthly reports by project; for {kind} use --project NAME")
    _bring_up_to_date(settings)
    named = agents()
    q = Query(zone, lo, hi, project, source or tuple(named))
    agent = named[source] if source else "all"
    # a session or block belongs to one agent: the plain report names it when only one agent is registered
    row_agent = named[source] if source else (next(iter(named.values())) if len(named) == 1 else "all")
    report = _answer(settings, kind, q, order, agent, instances, row_agent, source if as_json else None)
    if keep is not None and kind in report:
        report[kind] = [r for r in report[kind] if keep[0](r)]
        report["totals"] = _sum(report[kind])
    rows = report.get(kind, [])
    if instances:
        rows = [r for rs in report["projects"].values() for r in rs]
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        _print_table(kind, report, rows, zone, breakdown, compact, instances)
    if not rows:
        _say_why_empty(settings, q, keep[1] if keep else "")
    elif not lo or lo < settings.start_date:
        note = _before_start(settings)
        if note:
            err.print(f"note: {note}")


def _native_report(conn: Any, rows_source: str, kind: str, q: Any) -> dict[str, Any] | None:
    from ccp_assets.sources.registry import SOURCES

    source = next(s for s in SOURCES if s.rows_source == rows_source)
    return source.agent_report(conn, kind, q.since, q.until, q.timezone)


def _answer(settings: Settings, kind: str, q: Any, order: str | None, agent: str, instances: bool,
            row_agent: str, native: str | None = None) -> dict[str, Any]:
    import duckdb

    from ccp_assets.warehouse.readonly import open_read_only

    try:
        conn = open_read_only(settings.warehouse_path)  # waits up to 20 s for a run holding the write lock
    except duckdb.IOException:
        fail(f"the warehouse {settings.warehouse_path} stayed locked by another process (a run?) for 20 s; "
             "try again when it ends", code=1)
    try:
        own = _native_report(conn, native, kind, q) if native and not instances else None
        if own is not None:  # the agent's namespace prints ccusage's own shape (`ccp report codex daily --json`)
            return own
        if kind in ("daily", "weekly", "monthly"):
            from ccp_assets.reports.periods import by_project, period_report

            report = by_project(conn, kind, q, agent) if instances else period_report(conn, kind, q, agent)
            if order == "desc" and not instances:
                report[kind].reverse()
            elif order == "desc":
                for rows in report["projects"].values():
                    rows.reverse()
            return report
        if kind == "session":
            from ccp_assets.reports.sessions import session_report

            return session_report(conn, q, order or "desc", agent=row_agent)
        from ccp_assets.reports.blocks import blocks_report

        return blocks_report(conn, q, order or "asc", agent=row_agent)
    finally:
        if conn is not None:
            conn.close()


def _bring_up_to_date(settings: Settings) -> None:
    """Land new bytes; materialize days that are new or never materialized (what `ccp materialize` does).

    Skipped without importing Dagster when nothing changed (`_stale`): a warm report stays a read-only
    query instead of paying ~1.6 s of Dagster imports for a landing that would find nothing.
    """
    import duckdb

    if not _stale(settings):
        return
    from ccp_assets import runs
    from ccp_assets.warehouse.readonly import open_read_only

    if settings.warehouse_path.exists():
        try:
            open_read_only(settings.warehouse_path, wait_s=0).close()
        except duckdb.IOException:
            err.print("waiting: another process (a Dagster run?) holds the warehouse; the report follows when it ends")
    try:
        runs.ensure_dagster_home(settings)
        if err.is_terminal:
            with err.status("reading new source bytes…", spinner="dots"):
                landed = runs.land_all(settings)
        else:
            landed = runs.land_all(settings)
    except duckdb.IOException:
        err.print("the warehouse is busy (another run holds it): reporting what it already holds")
        return
    if not landed["days"] or not (landed["touched"] or _unmaterialized(settings, landed["days"])):
        return
    rng = runs.clamp_range(runs.days_to_run(landed), None, None, settings)
    if rng is None:
        return
    err.print(f"bringing the warehouse up to date: materializing {rng[0]}..{rng[1]} (once; later reports "
              f"only add new bytes)")
    if err.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("materializing"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                      TimeElapsedColumn(), console=err, transient=True) as bar:
            task = bar.add_task("starting…", total=None)
            outcome = runs.materialize(*rng, progress=lambda d, t, k: bar.update(task, completed=d, total=t,
                                                                                  description=k))
    else:
        outcome = runs.materialize(*rng, progress=lambda d, t, k: print(f"  {d}/{t} {k}", file=sys.stderr))
    if not outcome.success or outcome.failures:
        err.print(f"materialize run {outcome.run_id[:8]} failed ({'; '.join(outcome.failures)[:200]}): the report "
                  "shows what the warehouse holds; `ccp materialize` tells more")


def _stale(settings: Settings) -> bool:
    """An agent's files (transcripts, sessions) new or changed since they were landed (the ledger's size and
    mtime), or landed days no run has processed. Read-only; a locked or missing warehouse counts as stale
    (landing sorts it out)."""
    import duckdb

    from ccp_assets.sources.registry import SOURCES
    from ccp_assets.warehouse.readonly import open_read_only

    files = {s.name: s.files(settings) for s in SOURCES if s.agent}
    try:
        conn = open_read_only(settings.warehouse_path, wait_s=0)
    except duckdb.IOException:
        return True
    if conn is None:
        return any(files.values())
    try:
        tables = {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if not {"landing_files", "landing_batches"} <= tables:
            return any(files.values())
        for name, paths in files.items():
            ledger = {p: (size, mtime) for p, size, mtime in conn.execute(
                f"SELECT path, size, mtime FROM landing_files WHERE source = '{name}'").fetchall()}
            for f in paths:
                st = f.stat()
                if ledger.get(str(f)) != (st.st_size, st.st_mtime):
                    return True
        days = [str(r[0]) for r in conn.execute(
            "SELECT DISTINCT unnest(days) FROM landing_batches WHERE days IS NOT NULL").fetchall()]
    finally:
        conn.close()
    return _unmaterialized(settings, days)


def _unmaterialized(settings: Settings, days: list[str]) -> bool:
    """Landed days from CCP_START_DATE on that no run has processed yet (cheap: no Dagster import).

    `partition_stats` gets a row per source for every day a run processed, even a day with zero lines.
    """
    from ccp_assets.warehouse.readonly import open_read_only

    wanted = {d for d in days if date.fromisoformat(d) >= settings.start_date}
    if not wanted:
        return False
    conn = open_read_only(settings.warehouse_path)
    try:
        if conn is None or not conn.execute("SELECT count(*) FROM information_schema.tables "
                                            "WHERE table_name = 'partition_stats'").fetchone()[0]:
            return True
        have = {str(r[0]) for r in conn.execute("SELECT DISTINCT day FROM partition_stats").fetchall()}
        return bool(wanted - have)
    finally:
        if conn is not None:
            conn.close()


def _say_why_empty(settings: Settings, q: Any, filtered: str = "") -> None:
    """A report with no rows says why, on stderr: no data at all, a range or project with none, or start date."""
    from ccp_assets.reports.usage import Query, has_usage_tables
    from ccp_assets.warehouse.readonly import open_read_only

    conn = open_read_only(settings.warehouse_path)
    try:
        span = None
        if has_usage_tables(conn):
            assert conn is not None
            span = conn.execute(f"SELECT min(day), max(day), count(*) FROM {Query(q.timezone, source=q.source).base()}"
                                ).fetchone()
    finally:
        if conn is not None:
            conn.close()
    skipped = _before_start(settings)
    if span is None or not span[2]:
        where = ", ".join(str(p / "projects") for p in settings.claude_config_dirs)
        msg = f"no Claude Code usage found (looked in {where})"
        if skipped:
            msg += f"; {skipped}"
        err.print(msg)
        return
    asked = " ".join(x for x in (f"from {q.since}" if q.since else "", f"to {q.until}" if q.until else "",
                                 f"in project {q.project!r}" if q.project else "", filtered) if x)
    err.print(f"no usage {asked or 'matches'}: the warehouse holds {span[2]:,} turns from {span[0]} to {span[1]}"
              f" ({q.timezone} days)")


def _before_start(settings: Settings) -> str:
    """Lines landed for days before CCP_START_DATE (never materialized), said plainly; '' when none."""
    from ccp_assets.reports.coverage import lines_before_start

    days, lines = lines_before_start(settings)
    if not lines:
        return ""
    return (f"{lines:,} landed lines on {days} day(s) before CCP_START_DATE={settings.start_date} are left out; "
            f"set CCP_START_DATE earlier to include them")


def _print_table(kind: str, report: dict[str, Any], rows: list[dict[str, Any]], zone: str, breakdown: bool,
                 compact: bool, instances: bool) -> None:
    from ccp_assets.cli.report_table import print_report

    console = Console()
    if not rows:
        return
    if instances:
        for name, prows in report["projects"].items():
            sub = {"totals": _sum(prows)}
            print_report(kind, sub, prows, zone, breakdown=breakdown, compact=compact,
                         title=f"Claude Code usage, {kind}, project {name}", console=console)
        return
    print_report(kind, report, rows, zone, breakdown=breakdown, compact=compact,
                 title=f"Claude Code usage, {kind} ({zone})", console=console)


def _sum(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from ccp_assets.reports.usage import TOKEN_KEYS, empty_totals

    tot = empty_totals()
    for r in rows:
        for k in (*TOKEN_KEYS, "totalTokens", "totalCost"):
            tot[k] += r[k]
    return tot


for _kind in HELP:
    _register(report_app, _kind, None)
for _source, _agent in agents().items():  # `ccp report claude daily`, `ccp report codex daily`, ...
    _agent_app = typer.Typer(no_args_is_help=True, help=f"The same reports for agent `{_agent}` only.")
    report_app.add_typer(_agent_app, name=_agent)
    for _kind in HELP:
        _register(_agent_app, _kind, _source)

__all__ = ["report_app", "fail"]
