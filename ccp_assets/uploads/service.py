"""One upload pass, as `ccp upload` and the sensor's sender job run it:

1. decide the effective tier (license + CCP_PRIVACY_TIER); in the local tier stop here: nothing is queued,
   nothing is sent, no HTTP client exists;
2. queue every rollup day that has no payload yet for a tier now allowed (so `ccp materialize` then
   `ccp upload` works even when the upload assets ran before the license arrived), except days whose
   latest blocking drift check failed;
3. drain the outbox (sender.drain), which re-checks tier, license and drift right before each send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ccp_assets.privacy.tiers import PAYLOAD_TIERS
from ccp_assets.settings import Settings
from ccp_assets.uploads.enqueue import KIND_OF, DayOutcome, Enqueuer, EnqueueReport, rollup_days
from ccp_assets.uploads.gate import Gate, failed_check_days
from ccp_assets.uploads.outbox import Outbox
from ccp_assets.uploads.sender import SendResult, drain


@dataclass
class UploadReport:
    gate: Gate
    dry_run: bool = False
    enqueue: EnqueueReport = field(default_factory=EnqueueReport)
    results: list[SendResult] = field(default_factory=list)
    failed_checks: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def with_outcome(self, outcome: str) -> list[SendResult]:
        return [r for r in self.results if r.outcome == outcome]

    @property
    def ok(self) -> bool:
        """Nothing failed (withheld is not a failure)."""
        return not self.with_outcome("rejected") and not self.with_outcome("failed")

    def summary(self) -> dict[str, int]:
        return {"queued": self.enqueue.added, "sent": len(self.with_outcome("sent")),
                "would_send": len(self.with_outcome("would send")),
                "withheld": len(self.with_outcome("withheld")) + len(self.enqueue.by_status("withheld")),
                "rejected": len(self.with_outcome("rejected")), "failed": len(self.with_outcome("failed"))}


def enqueue_missing(settings: Settings, gate: Gate, report: UploadReport, *, dry_run: bool = False) -> None:
    """Queue rollup days that have no payload for an allowed tier yet; note failed-check days."""
    from ccp_assets.warehouse.readonly import open_read_only

    tiers = [t for t in PAYLOAD_TIERS if gate.allows(t)]
    days = rollup_days(settings)
    try:
        conn = open_read_only(settings.warehouse_path)
    except Exception as e:  # a run holds the write lock: queue nothing now, the next pass will
        report.notes.append(f"warehouse busy ({str(e).splitlines()[0][:100]}): new rollup days not queued now")
        return
    if conn is None:
        if days:
            report.notes.append("no warehouse yet: run `ccp materialize` first")
        return
    box = Outbox.open(settings) if not dry_run else Outbox.existing(settings)
    enq = Enqueuer(settings, gate, box, dry_run=dry_run)
    enq.report = report.enqueue
    try:
        report.failed_checks = failed_check_days(conn)
        for tier in tiers:
            have = box.days_with(tier, KIND_OF[tier]) if box is not None else set()
            for day in days:
                if day in have:
                    continue
                if day in report.failed_checks:
                    enq.withhold(day, tier, "failed check: " + "; ".join(report.failed_checks[day]))
                elif tier == "minimized":
                    enq.minimized(day)
                else:
                    enq.full(day, conn)
    finally:
        conn.close()
        if box is not None:
            box.close()


def run_upload(settings: Settings, *, dry_run: bool = False, now: float | None = None,
               on_result: Callable[[SendResult], None] | None = None) -> UploadReport:
    gate = Gate.load(settings, now)
    report = UploadReport(gate, dry_run)
    if not gate.sends_anything:
        days = rollup_days(settings)
        report.notes.append(f"nothing is sent: the effective tier is local; {len(days)} rollup day(s) stay on this "
                            "machine")
        why = gate.withheld_reason("minimized") or gate.tier_reason
        report.enqueue.outcomes += [DayOutcome(d, "minimized", "withheld", why) for d in days]
        report.results = drain(settings, gate, dry_run=True)  # lists anything still queued, never sends
        return report
    if not gate.aggregator_url:
        report.notes.append("CCP_AGGREGATOR_URL is unset: payloads are queued but cannot be sent")
    enqueue_missing(settings, gate, report, dry_run=dry_run)
    report.results = drain(settings, gate, dry_run=dry_run, on_result=on_result)
    return report
