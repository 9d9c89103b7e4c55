"""Put a day's payloads in the outbox, per tier, when the tier, the license and the day's checks allow it.

Used by the upload assets (with the step's warehouse connection and `usable_days`) and by `ccp upload` /
the sender job (for rollup days the assets have not queued yet, e.g. because the license came later).
Content-derived keys make it idempotent: queueing an unchanged day again adds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ccp_assets.privacy import Redactor, install_secret
from ccp_assets.reports.rollup_paths import daily_summary_path
from ccp_assets.settings import Settings
from ccp_assets.sources.landing import day_files
from ccp_assets.uploads.gate import Gate
from ccp_assets.uploads.outbox import Outbox
from ccp_assets.uploads.payloads import (
    DEFAULT_MAX_BATCH_BYTES,
    DEFAULT_MAX_EVENTS,
    EventBuilder,
    assert_redacted,
    build_day_events,
    chunker,
    index_events,
    minimized_body,
)

KIND_OF = {"minimized": "metrics", "full": "events"}
MAX_EVENTS_CAP = 20_000  # the reference aggregator's default per-batch cap
MAX_BATCH_BYTES_CAP = 8 << 20
_DAY_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class DayOutcome:
    """What happened to one (day, payload tier): queued N new payloads, unchanged, withheld (why), no data."""

    day: str
    tier: str
    status: str  # queued | unchanged | withheld | no data
    reason: str = ""
    added: int = 0
    superseded: int = 0
    items: int = 0


@dataclass
class EnqueueReport:
    outcomes: list[DayOutcome] = field(default_factory=list)

    def by_status(self, status: str) -> list[DayOutcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def added(self) -> int:
        return sum(o.added for o in self.outcomes)

    def withheld(self) -> dict[str, str]:
        return {f"{o.day} {o.tier}": o.reason for o in self.outcomes if o.status == "withheld"}


def rollup_days(settings: Settings) -> list[str]:
    """Days that have a metrics_summary.json on disk."""
    root = settings.rollups_dir
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if _DAY_DIR.match(p.name) and (p / "metrics_summary.json").exists())


def redactor_for(gate: Gate) -> Redactor:
    """Packaged rules plus the policy pack's redaction rules (drop -> high risk, redact/hash -> medium)."""
    extra = []
    if gate.policy is not None:
        for rule in gate.policy.redaction_rules:
            name = "policy_" + (re.sub(r"[^a-z0-9_]", "_", rule.name.lower()) or "rule")[:50]
            extra.append({"name": name, "kind": "regex", "pattern": rule.pattern,
                          "risk": "high" if rule.action == "drop" else "medium",
                          "replacement": "[redacted]" if rule.action == "redact" else "[hashed]",
                          "description": f"policy v{gate.policy.version}: {rule.name}"})
    return Redactor.from_rules(extra)


def batch_limits(gate: Gate) -> tuple[int, int]:
    limits = gate.upload_limits()
    events = min(int(limits.get("max_events_per_batch", DEFAULT_MAX_EVENTS)), MAX_EVENTS_CAP)
    size = min(int(limits.get("max_batch_bytes", DEFAULT_MAX_BATCH_BYTES)), MAX_BATCH_BYTES_CAP)
    return max(events, 1), max(size, 1024)


class Enqueuer:
    """Queues days into one outbox under one gate (one `now`, one license decision)."""

    def __init__(self, settings: Settings, gate: Gate, outbox: Outbox | None = None, *, dry_run: bool = False):
        self.settings, self.gate, self.dry_run = settings, gate, dry_run
        self._outbox = outbox
        self._builder: EventBuilder | None = None
        self.report = EnqueueReport()

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox.open(self.settings)
        return self._outbox

    def close(self) -> None:
        if self._outbox is not None:
            self._outbox.close()

    def _secret(self) -> bytes:
        return install_secret(self.settings)

    def withhold(self, day: str, tier: str, reason: str) -> DayOutcome:
        out = DayOutcome(day, tier, "withheld", reason)
        self.report.outcomes.append(out)
        return out

    def minimized(self, day: str) -> DayOutcome:
        """The day's minimized summary (also sent in the full tier: the aggregator's totals come from it)."""
        why = self.gate.withheld_reason("minimized")
        if why:
            return self.withhold(day, "minimized", why)
        path = daily_summary_path(self.settings.rollups_dir, day)
        if not path.exists():
            out = DayOutcome(day, "minimized", "no data", "no metrics_summary.json for this day")
        else:
            body = minimized_body(path, self._secret())
            if self.dry_run:
                out = DayOutcome(day, "minimized", "queued", "dry run", 1, items=1)
            else:
                res = self.outbox.enqueue_summary("minimized", day, body)
                out = DayOutcome(day, "minimized", "queued" if res.added else "unchanged", "",
                                 len(res.added), len(res.superseded), 1)
        self.report.outcomes.append(out)
        return out

    def full(self, day: str, conn: Any) -> DayOutcome:
        """The day's enriched events, only those not already in a pending or sent batch."""
        why = self.gate.withheld_reason("full")
        if why:
            return self.withhold(day, "full", why)
        if self._builder is None:
            try:
                redactor = redactor_for(self.gate)
            except ValueError as e:  # a policy rule the redactor cannot use: fail closed, say why
                return self.withhold(day, "full", "policy: its redaction rules cannot be applied "
                                                  f"({str(e).splitlines()[0][:160]})")
            self._builder = EventBuilder(self._secret(), redactor)
        files = day_files(self.settings, "claude_code", [day])
        events = build_day_events(conn, files, day, self._builder)
        if not events:
            out = DayOutcome(day, "full", "no data", "no turns, sessions or prompts this day")
            self.report.outcomes.append(out)
            return out
        for ev in events:  # the last guard runs on each event before anything is queued
            assert_redacted(ev, self._builder.redactor)
        indexed = index_events(events)
        if self.dry_run:
            out = DayOutcome(day, "full", "queued", "dry run", 0, items=len(indexed))
        else:
            res = self.outbox.enqueue_day_events("full", day, indexed, chunker(*batch_limits(self.gate)))
            out = DayOutcome(day, "full", "queued" if res.added else "unchanged", "", len(res.added),
                             len(res.superseded), len(indexed))
        self.report.outcomes.append(out)
        return out
