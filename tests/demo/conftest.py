"""One demo corpus per test session (7 days, scale 1): generating it takes about a second."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ccp_assets.demo import DemoManifest, write_demo_data

END = dt.date(2026, 2, 8)
DAYS = 7


@dataclass
class Corpus:
    manifest: DemoManifest

    @property
    def out(self) -> Path:
        return self.manifest.out

    def transcripts(self) -> list[Path]:
        return sorted((self.out / "claude" / "projects").rglob("*.jsonl"))

    def subagent_files(self) -> list[Path]:
        return [p for p in self.transcripts() if p.name.startswith("agent-")]

    def session_files(self) -> list[Path]:
        return [p for p in self.transcripts() if not p.name.startswith("agent-")]

    def lines(self, path: Path) -> Iterator[dict]:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                yield json.loads(line)

    def ledger(self, name: str) -> list[dict]:
        return list(self.lines(self.out / "agentos" / name))


def split_objects(line: str) -> list[dict]:
    """Decode one proxy line that may hold several glued objects (`{...}{...}`)."""
    dec, out, i, s = json.JSONDecoder(), [], 0, line.strip()
    while i < len(s):
        obj, i = dec.raw_decode(s, i)
        out.append(obj)
    return out


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return Corpus(write_demo_data(tmp_path_factory.mktemp("demo") / "out", days=DAYS, scale=1, seed=7, end=END))
