"""`ccp materialize`: the whole graph for a range of days, as one Dagster run visible in the UI."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ccp_assets.cli.errors import CliError

err = Console(stderr=True)
out = Console()
UP_TO_DATE = "everything is up to date: no new source bytes since the last run."


def materialize(
    start: str = typer.Option(None, "--start", help="first day (YYYY-MM-DD); default: first day with data"),
    end: str = typer.Option(None, "--end", help="last day (YYYY-MM-DD); default: last day with data"),
    select: str = typer.Option(None, "--select", help="Dagster asset selection, e.g. 'key:daily_summary+'"),
) -> None:
    """Land new source bytes, then materialize every layer for the days in range (one run)."""
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        _materialize(start, end, select)
    except (KeyboardInterrupt, _Terminated, RuntimeError) as e:
        # DuckDB stops a query the signal arrived in and raises RuntimeError("Query interrupted") from it
        stop = (e.__cause__ or e.__context__) if isinstance(e, RuntimeError) else e
        if not isinstance(stop, KeyboardInterrupt | _Terminated):
            raise
        signum = signal.SIGTERM if isinstance(stop, _Terminated) else signal.SIGINT
        raise CliError(f"interrupted by {signum.name} before the run started (landing commits one source at "
                       "a time: nothing half-written was kept); run `ccp materialize` again", 128 + signum) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    # runs.UsageError (exit 2), runs.Busy (75) and run_watch.Interrupted (128 + signal) are CliErrors:
    # cli/errors.run prints their one line.


class _Terminated(BaseException):
    """SIGTERM outside the Dagster run (inside it, run_watch turns it into `Interrupted`)."""


def _terminated(signum: int, frame: object) -> None:
    raise _Terminated()


def _materialize(start: str | None, end: str | None, select: str | None) -> None:
    from ccp_assets import runs

    settings = _settings()
    lo, hi = _day(start, "--start"), _day(end, "--end")
    if lo and hi and lo > hi:
        raise runs.UsageError(f"--start {lo} is after --end {hi}: swap them (the range includes both days)")
    today = _today(settings.timezone)
    if settings.start_date > today:
        raise runs.UsageError(f"CCP_START_DATE={settings.start_date} is in the future (today is {today} in "
                              f"{settings.timezone}); set it to a past day or unset it (default 2024-01-01)")
    if hi and hi < settings.start_date:
        raise runs.UsageError(f"--end {hi} is before CCP_START_DATE={settings.start_date}: no partition exists "
                              "there; pick a later --end or lower CCP_START_DATE")
    runs.resolve_selection(select)  # a bad selection fails here, before any work
    home = runs.ensure_dagster_home(settings)
    with runs.one_at_a_time(settings):
        if not (start or end or select):
            from ccp_assets.cli.nothing_new import nothing_to_do

            days = nothing_to_do(settings)  # a stat walk and the ledger: no Dagster import, no run
            if days is not None:
                _explain_empty(days, lo, settings)
                err.print(UP_TO_DATE, highlight=False)  # rich's highlighter compiles its regexes: 0.08 s
                raise typer.Exit(0)
        _land_and_run(settings, home, start, end, lo, hi, select)


def _land_and_run(settings, home: Path, start: str | None, end: str | None, lo: date | None, hi: date | None,  # noqa: ANN001
                  select: str | None) -> None:
    from ccp_assets import run_guard, runs
    from ccp_assets.checks.gx_runner import prewarm
    from ccp_assets.cli.nothing_new import forget, remember
    from ccp_assets.command_instance import CommandInstance

    prewarm()  # the drift checks' judge imports Great Expectations on the other core while we land (≈ 1.4 s CPU)
    with CommandInstance() as dagster:
        if run_guard.nothing_to_recover(home):
            dagster.start()  # no run to recover or wait for: open the instance while landing (cold: ≈ 1 s)
        else:
            runs.preflight(notice=_notice, instance=dagster.get())
        forget(settings)  # the stamp comes back only once the instance has been asked again, below
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
        instance = dagster.get()
        _freeze_startup()
        runs.preflight(notice=_notice, instance=instance)  # (again): a run may have started while we landed
        days = landed["days"] if (start or end) else runs.days_to_run(landed, instance)
        rng = runs.clamp_range(days, lo, hi, settings)
        if rng is None:
            _explain_empty(landed["days"], lo, settings)
            remember(settings, instance)
            err.print(UP_TO_DATE, highlight=False)
            raise typer.Exit(0)
        outcome = _run(rng, select, settings.ccp_home / "logs" / "materialize.log", instance)
        remember(settings, instance)  # keep the done days for the next no-op `ccp materialize` (nothing_new.py)
    _summary(outcome, {f"raw_{name}": r.lines_landed for name, r in landed["results"].items()})
    for line in outcome.failures:
        print(f"FAILED {line}", file=sys.stderr)
    failed_checks = [c for c in outcome.checks if not c["passed"] and (c["partition"] or rng[0] == rng[1])]
    for c in failed_checks:
        print(f"CHECK FAILED {c['asset']}:{c['check']} [{c['partition'] or rng[0]}] (blocking; its day is withheld "
              f"from measurements, rollups and uploads): {c['metadata'].get('summary', '')}", file=sys.stderr)
    if not outcome.success or outcome.failures or failed_checks:
        raise typer.Exit(1)


def _freeze_startup() -> None:
    """Keep the start-up's objects (imports, the code location, the instance) out of the run's collections.

    A cold run's full collections each walked the ≈ 400k objects loaded before it (0.9 s of CPU over 7 full
    collections on the fixture); they are never garbage. Only in the `ccp` process: a test that runs the
    app in its own process would keep its garbage frozen.
    """
    import gc

    from ccp_assets.cli import main

    if main.OWN_PROCESS:
        gc.freeze()


def _explain_empty(data_days: list[str], lo: date | None, settings) -> None:  # noqa: ANN001
    """Nothing to run is only "up to date" when no flag or setting excluded the days that have data."""
    from ccp_assets import runs

    if not data_days:
        return
    first, last = data_days[0], data_days[-1]
    if lo and lo.isoformat() > last:
        raise runs.UsageError(f"--start {lo} is after the last day with data ({last}); pick an earlier "
                              "--start or give --end too")
    if settings.start_date.isoformat() > last:
        raise runs.UsageError(f"CCP_START_DATE={settings.start_date} is after every day with data "
                              f"({first}..{last}); lower CCP_START_DATE or unset it")


_say: list[Console] = []


def _notice(line: str) -> None:
    """A line for the user during the run (above the progress bar): waiting for a slot, a recovered run."""
    (_say[-1] if _say else err).print(line, markup=False, highlight=False, soft_wrap=True)


@contextmanager
def _run_output_to_log(log: Path) -> Iterator[Console]:
    """Send the process's stderr (fd 2) to `log` for the run; yield a console on the real stderr.

    Dagster mirrors a run's captured output to fd 2 through `tail` and a watcher child in our process
    group; on Ctrl-C that watcher prints its own KeyboardInterrupt traceback. With fd 2 on a log file the
    user sees only our lines (and the run's output stays in the UI's compute logs and in `log`).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    terminal, width = err.is_terminal, err.width  # asks fd 2: before it points at the log
    sys.stderr.flush()
    saved = os.dup(2)
    tty = os.fdopen(os.dup(saved), "w", buffering=1)
    with open(log, "a") as f:
        os.dup2(f.fileno(), 2)
    try:
        console = Console(file=tty, force_terminal=terminal or None, width=width)
        _say.append(console)
        yield console
    finally:
        _say.pop()
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        tty.close()


def _run(rng: tuple[str, str], select: str | None, log: Path, instance):  # noqa: ANN001, ANN202
    from ccp_assets import runs

    with _run_output_to_log(log) as console:
        if not console.is_terminal:
            return runs.materialize(*rng, selection=select, notice=_notice, instance=instance)
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        # "done/total" only once the watcher knows the total (its first tick, 0.3 s into the run): never "0/?".
        with Progress(TextColumn(f"materializing {rng[0]}..{rng[1]}"), BarColumn(bar_width=24),
                      TextColumn("{task.fields[count]}"), TimeElapsedColumn(), TextColumn("{task.description}"),
                      console=console, transient=True) as bar:
            task = bar.add_task("starting the run (loading the asset graph)…", total=None, count="")

            def step(done: int, total: int, key: str) -> None:
                bar.update(task, completed=done, total=total, description=key, count=f"{done}/{total}")

            return runs.materialize(*rng, selection=select, progress=step, notice=_notice, instance=instance)


def _settings():  # noqa: ANN202
    from ccp_assets import runs
    from ccp_assets.cli.main import current_settings

    try:
        return current_settings()
    except ValueError as e:  # the settings module names the variable; keep its words, drop the traceback
        raise runs.UsageError(f"{str(e).splitlines()[0]} (check the CCP_* variables; INTERFACES.md lists them)") \
            from None


def _today(tz: str) -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    try:
        return datetime.now(ZoneInfo(tz)).date()
    except (KeyError, ValueError):  # a bad zone is reported where settings are validated
        return datetime.now().date()


def _day(value: str | None, flag: str) -> date | None:
    from ccp_assets import runs

    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise runs.UsageError(f"{flag}={value} is not a day: use YYYY-MM-DD, e.g. {flag} 2026-02-10") from None


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: object) -> None:
        return None


def _summary(outcome, landed_now: dict[str, int]) -> None:  # noqa: ANN001
    table = Table(title=f"run {outcome.run_id[:8]} · {outcome.start}..{outcome.end} · "
                        f"{'success' if outcome.success else 'FAILED'}", show_lines=False)
    table.add_column("asset")
    table.add_column("partitions", justify="right")
    table.add_column("highlights")
    for key, info in outcome.materialized.items():
        now = f"{landed_now[key]:,} landed by this command" if landed_now.get(key) else ""
        table.add_row(key, str(info["partitions"]), ", ".join(x for x in (now, _highlights(info.get("metadata", {})))
                                                              if x))
    err.print(table)


# (metadata key, label) shown per asset in the run summary. Raw assets say `lines` (every line landed for the
# run's days): `new_lines` is what the run itself landed, 0 under `ccp materialize`, which lands first — the
# summary said `new_lines=0` right after "landed 1811 lines" (issue 15).
HIGHLIGHTS = (("lines", "lines"), ("quarantined_lines", "quarantined"), ("turns", "turns"),
              ("sessions", "sessions"), ("cost_usd_total", "USD"), ("days_with_data", "days with data"),
              ("unpriced_models", "unpriced"), ("withheld", "withheld"))


def _highlights(meta: dict) -> str:
    out = []
    for key, label in HIGHLIGHTS:
        v = meta.get(key)
        if v is None or (key in ("withheld", "unpriced_models", "quarantined_lines") and not v):
            continue
        if key == "cost_usd_total":
            out.append(f"{v:,.2f} {label}")
        elif key == "withheld":
            days = sorted(v)
            out.append(f"{label} {len(days)} day(s) ({days[0]}{f'..{days[-1]}' if len(days) > 1 else ''})")
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out.append(f"{v:,.0f} {label}")
        else:
            out.append(f"{label}: {', '.join(map(str, v)) if isinstance(v, list) else v}")
    return ", ".join(out)
