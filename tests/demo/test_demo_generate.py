"""Determinism, linear scale, manifest, CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ccp_assets.cli.demo_cmd import register
from ccp_assets.demo import write_demo_data
from tests.demo.conftest import Corpus

END = dt.date(2026, 2, 5)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.relative_to(root).parts}


def _head(root: Path) -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root / "repo", capture_output=True, text=True,
                          check=True).stdout.strip()


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = write_demo_data(tmp_path / "a", days=2, seed=11, end=END)
    b = write_demo_data(tmp_path / "b", days=2, seed=11, end=END)
    fa, fb = _files(a.out), _files(b.out)
    assert fa.keys() == fb.keys() and fa == fb
    assert _head(a.out) == _head(b.out)
    c = write_demo_data(tmp_path / "c", days=2, seed=12, end=END)
    assert _files(c.out) != fa


def test_scale_grows_linearly(tmp_path: Path) -> None:
    one = write_demo_data(tmp_path / "one", days=3, scale=1, end=END)
    two = write_demo_data(tmp_path / "two", days=3, scale=2, end=END)
    for source in ("claude", "ccp"):
        ratio = two.sources[source].bytes / one.sources[source].bytes
        assert 1.6 < ratio < 2.4, (source, ratio)
    assert one.commits == two.commits


def test_manifest_counts_what_is_on_disk(corpus: Corpus) -> None:
    m = corpus.manifest
    assert (m.start, m.end) == (dt.date(2026, 2, 2), dt.date(2026, 2, 8))
    claude = m.sources["claude"]
    assert claude.files == len(corpus.transcripts())
    assert claude.bytes == sum(p.stat().st_size for p in corpus.transcripts())
    assert claude.lines == sum(len(p.read_bytes().splitlines()) for p in corpus.transcripts())
    assert 2e6 < claude.bytes < 6e6
    assert json.loads((m.out / "demo_manifest.json").read_text())["sources"]["claude"]["bytes"] == claude.bytes
    assert set(m.env()) >= {"CLAUDE_CONFIG_DIR", "CCP_USAGE_LOG_DIR", "CCP_AGENTOS_DATA_DIR", "CCP_REPO_DIR"}
    assert m.mb_per_s > 0


def test_refuses_a_foreign_directory_but_regenerates_its_own(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(FileExistsError):
        write_demo_data(tmp_path, days=1, end=END)
    assert (tmp_path / "mine.txt").read_text() == "keep"
    out = tmp_path / "demo"
    first = write_demo_data(out, days=2, scale=2, end=END)
    second = write_demo_data(out, days=2, scale=1, end=END)
    on_disk = len(list((out / "claude").rglob("*.jsonl")))
    assert on_disk == second.sources["claude"].files < first.sources["claude"].files


def test_cli_demo_data(tmp_path: Path) -> None:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Root with a callback so `demo-data` stays a sub-command."""

    register(app)
    res = CliRunner().invoke(app, ["demo-data", "--out", str(tmp_path / "o"), "--days", "2", "--scale", "1",
                                   "--seed", "3", "--end", "2026-02-05"])
    assert res.exit_code == 0, res.output
    assert "2026-02-04 .. 2026-02-05" in res.output and "claude" in res.output and "CLAUDE_CONFIG_DIR=" in res.output
    assert (tmp_path / "o" / "ccp" / "usage.jsonl").exists()
    bad = CliRunner().invoke(app, ["demo-data", "--out", str(tmp_path / "o"), "--end", "2026-13-01"])
    assert bad.exit_code != 0
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "x").write_text("x")
    res = CliRunner().invoke(app, ["demo-data", "--out", str(foreign), "--days", "1"])
    assert res.exit_code == 2
