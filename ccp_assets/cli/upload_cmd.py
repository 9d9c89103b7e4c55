"""`ccp upload [--dry-run]`: drain the upload outbox now (the upload sensor does the same).

First queues rollup days not yet queued for the tiers the license allows now, then sends what may leave,
and prints what was sent, what was withheld and why (tier, license, failed check). Exit 0 when nothing
failed: withheld is not a failure (in the local tier nothing is sent, no HTTP client is created, exit 0).
Exit 1 when a payload was rejected or could not be delivered (it stays queued and is retried later).
"""

from __future__ import annotations

import typer

from ccp_assets.cli.main import current_settings


def register(app: typer.Typer) -> None:
    """Attach `ccp upload` to the root app."""
    app.command("upload")(upload)


def upload(
    dry_run: bool = typer.Option(False, "--dry-run", help="show what would be queued and sent; send nothing"),
) -> None:
    """Drain the upload outbox now: queue new rollup days, send what the tier and license allow."""
    from ccp_assets.privacy.redact import mask_text
    from ccp_assets.uploads.service import run_upload

    try:
        settings = current_settings()
    except ValueError as e:
        typer.echo(mask_text(f"configuration error: {e}"), err=True)
        raise typer.Exit(2) from None
    report = run_upload(settings, dry_run=dry_run)
    for line in render(report):
        typer.echo(line)
    raise typer.Exit(0 if report.ok else 1)


def render(report) -> list[str]:  # noqa: ANN001
    """The report as lines: tier, queued, sent, withheld (why), rejected, failed, then one summary line;
    every line masked (reasons quote check summaries, aggregator answers and errors: raw values)."""
    from ccp_assets.privacy.redact import mask_text

    return [mask_text(line) for line in _lines(report)]


def _lines(report) -> list[str]:  # noqa: ANN001
    g = report.gate
    lines = [f"effective tier: {g.tier} ({g.tier_reason})"]
    if g.sends_anything:
        lines.append(f"aggregator: {g.aggregator_url or 'none (CCP_AGGREGATOR_URL is unset)'}")
    lines += [f"note: {n}" for n in report.notes]
    verb = "would queue" if report.dry_run else "queued"
    for o in report.enqueue.by_status("queued"):
        what = "summary" if o.tier == "minimized" else f"{o.items} events in {o.added or '?'} batch(es)"
        lines.append(f"{verb}: {o.day} {o.tier} ({what})")
    for r in report.results:
        if r.outcome == "sent":
            lines.append(f"sent: {r.label()}: {r.detail}{' (already stored: replayed)' if r.replayed else ''}")
        elif r.outcome == "would send":
            lines.append(f"would send: {r.label()}")
    shown = set()
    groups: dict[tuple[str, str], list[str]] = {}
    for o in report.enqueue.by_status("withheld"):
        groups.setdefault((o.tier, o.reason), []).append(o.day)
        shown.add(o.day)
    for (tier, reason), days in groups.items():
        if len(days) <= 3:
            lines += [f"withheld: {d} {tier}: {reason}" for d in days]
        else:
            lines.append(f"withheld: {days[0]}..{days[-1]} ({len(days)} days) {tier}: {reason}")
    for r in report.with_outcome("withheld"):
        lines.append(f"withheld: {r.label()}: {r.detail}")
        shown.add(r.day)
    for day, checks in sorted(report.failed_checks.items()):
        if day not in shown:
            lines.append(f"withheld: {day}: failed check: {'; '.join(checks)}")
    for r in report.with_outcome("rejected"):
        lines.append(f"rejected: {r.label()}: {r.detail}")
    for r in report.with_outcome("failed"):
        lines.append(f"failed: {r.label()}: {r.detail}")
    s = report.summary()
    if report.dry_run:
        sent = (f"{s['would_send']} queued payload(s) would be sent, "
                f"{len(report.enqueue.by_status('queued'))} day payload(s) would be queued")
    else:
        sent = f"{s['sent']} sent"
    lines.append(f"{sent}, {s['withheld']} withheld, {s['rejected']} rejected, {s['failed']} failed"
                 f"{'' if g.sends_anything else ' (local tier: nothing leaves this machine)'}")
    return lines
