"""Two real installs for the team tests: each materializes half of the Claude Code fixture transcripts with
the real Dagster graph (once per session), then, per test, a copy of each uploads its minimized summaries
with the real client (`run_upload`) under a license of org "acme" to the aggregator under test.

The halves keep each session with its subagents (ccusage deduplicates a message repeated in a session's
subagent file; split across two machines it would be counted twice, by ccusage's own rule):
  install a: the main session 4d5611e5 with its subagents, short.jsonl   -> 2026-02-10 and 2026-02-12
  install b: tool_heavy.jsonl, subagent.jsonl                            -> 2026-02-10
so 2026-02-10 has both devices and 2026-02-12 one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLAUDE_FIXTURE, MAIN_SESSION, materialize_into

PROJECT = "-home-USER-projects-spotter"
HALVES = {
    "a": [f"{MAIN_SESSION}.jsonl", MAIN_SESSION, "short.jsonl"],
    "b": ["tool_heavy.jsonl", "subagent.jsonl"],
}
OPERATOR_TOKEN = "team-operator-token-0123456789"


def materialize_half(root: Path, name: str) -> Path:
    """CCP_HOME after a local-tier materialize of one half of the fixture transcripts."""
    project = root / "claude" / "projects" / PROJECT
    project.mkdir(parents=True)
    for item in HALVES[name]:
        src = CLAUDE_FIXTURE / "projects" / PROJECT / item
        (shutil.copytree if src.is_dir() else shutil.copy)(src, project / item)
    return materialize_into(root, root / "claude").ccp_home


@dataclass
class Install:
    name: str
    home: Path
    pack: dict[str, Any]

    def env(self, operator: Any, url: str, tmp: Path) -> dict[str, str]:
        pack_file = tmp / f"{self.name}.pack"
        pack_file.write_text(json.dumps(self.pack))
        return {"CCP_HOME": str(self.home), "CCP_TIMEZONE": "UTC", "CCP_PRIVACY_TIER": "minimized",
                "CCP_LICENSE_PACK": str(pack_file), "CCP_TRUSTED_KEYS": str(operator.keys_file),
                "CCP_AGGREGATOR_URL": url}

    def upload(self, operator: Any, url: str, tmp: Path) -> Any:
        """The real client: enqueue the minimized summaries and send them (in-process, this install's env)."""
        from ccp_assets.settings import load_settings
        from ccp_assets.uploads.service import run_upload

        mp = pytest.MonkeyPatch()
        try:
            for k in [k for k in os.environ if k.startswith("CCP_")]:
                mp.delenv(k)
            for k, v in self.env(operator, url, tmp).items():
                mp.setenv(k, v)
            report = run_upload(load_settings())
        finally:
            mp.undo()
        assert report.ok, report.results
        return report

    def sent_bodies(self) -> dict[str, bytes]:
        """{day: body} of the minimized summaries this install's outbox sent."""
        from ccp_assets.uploads.outbox import OUTBOX_FILE, Outbox

        box = Outbox(next(self.home.rglob(OUTBOX_FILE)))
        try:
            out = {p.day: p.body for p in box.all() if p.kind == "metrics" and p.state == "sent"}
        finally:
            box.close()
        return out

    def expected_device_id(self) -> str:
        """By hand, from the files: HMAC-SHA256(install secret, salt + machine id), first 32 hex digits."""
        secret = next(self.home.rglob("install_secret")).read_bytes()
        machine = ""
        for f in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            try:
                machine = Path(f).read_text().strip()
            except OSError:
                continue
            if machine:
                break
        machine = machine or socket.gethostname().strip()
        return hmac.new(secret, b"ccp-assets/device-id/v1\x00" + machine.encode(), hashlib.sha256).hexdigest()[:32]


def installs(templates: dict[str, Path], tmp: Path, operator: Any, org: str | None = "acme") -> list[Install]:
    """Fresh copies of the two materialized homes, each with its own license of `org`."""
    out = []
    for name, template in templates.items():
        home = tmp / f"install-{name}"
        shutil.copytree(template, home)
        pack = operator.pack(["telemetry_minimized"], license_id=f"lic-team-{name}", org=org)
        out.append(Install(name, home, pack))
    return out
