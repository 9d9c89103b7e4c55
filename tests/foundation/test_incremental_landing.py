"""Landing reads only new bytes, is idempotent, and survives the source deleting its files."""

from __future__ import annotations

import shutil

from tests.conftest import CLAUDE_FIXTURE, MAIN_SESSION, load_oracle
from tests.helpers import materialize_all, query, report, token_rows

MAIN = next((CLAUDE_FIXTURE / "projects").glob(f"*/{MAIN_SESSION}.jsonl"))


def test_same_day_twice_changes_nothing(claude_fixture, ccp_env):
    materialize_all()
    snapshot = query("SELECT * FROM turns ORDER BY turn_id")
    files = {p: p.read_bytes() for p in (ccp_env.ccp_home / "rollups").rglob("*") if p.is_file()}
    landing = sorted(p.name for p in (ccp_env.ccp_home / "landing").rglob("*.parquet"))
    assert materialize_all() is None  # nothing new: the default range is empty
    second = materialize_all(start="2026-02-10", end="2026-02-12")  # the same days again, explicitly
    assert second is not None and second.success
    assert query("SELECT * FROM turns ORDER BY turn_id") == snapshot
    assert {p: p.read_bytes() for p in files} == files
    assert sorted(p.name for p in (ccp_env.ccp_home / "landing").rglob("*.parquet")) == landing
    assert query("SELECT count(*) FROM landing_batches")[0][0] == 1  # the second landing found nothing new


def test_appended_lines_land_exactly_once_and_survive_deletion(ccp_env):
    full = MAIN.read_bytes()
    dst = ccp_env.projects() / MAIN.name
    cut = full.index(b"\n", len(full) // 2) + 41  # ends inside a line
    dst.write_bytes(full[:cut])
    materialize_all()
    held = query("SELECT kind, state FROM quarantine WHERE state = 'held'")
    assert held == [("truncated", "held")]
    with open(dst, "ab") as f:
        f.write(full[cut:])
    materialize_all()
    physical_lines = full.count(b"\n")
    landed = query("SELECT sum(lines) FROM landing_batches")[0][0]
    assert landed == physical_lines  # every line once: nothing twice, nothing lost at the cut
    assert query("SELECT count(*) FROM quarantine WHERE state = 'held'")[0][0] == 0
    oracle = load_oracle("ccusage-daily-utc-4d5611e5-main-only.json")
    assert token_rows(report()) == token_rows(oracle)
    shutil.rmtree(ccp_env.claude)
    after = materialize_all(start="2026-02-12", end="2026-02-12")
    assert after is not None and after.success
    assert token_rows(report()) == token_rows(oracle)


def test_replaced_file_is_reread_without_duplicates(ccp_env):
    src = next((CLAUDE_FIXTURE / "projects").glob("*/short.jsonl"))
    dst = ccp_env.projects() / "short.jsonl"
    shutil.copy(src, dst)
    materialize_all()
    first = query("SELECT sum(lines) FROM landing_batches")[0][0]
    extra = src.read_text().splitlines()[-1].replace('"uuid":"', '"uuid":"x')
    tmp = dst.with_suffix(".new")
    tmp.write_text(src.read_text() + extra + "\n")
    tmp.replace(dst)  # new inode: a rewrite, not an append
    materialize_all()
    assert query("SELECT sum(lines) FROM landing_batches")[0][0] == first + 1


def test_uncommitted_batch_files_are_removed(claude_fixture, ccp_env):
    materialize_all()
    day_dir = next((ccp_env.ccp_home / "landing" / "claude_code").glob("day=*"))
    orphan = day_dir / "b00000099_f0001_0.parquet"
    shutil.copy(next(day_dir.glob("*.parquet")), orphan)  # as if a crash hit between write and commit
    outcome = materialize_all(start="2026-02-10", end="2026-02-12")
    assert outcome is not None and outcome.success
    assert not orphan.exists()
    assert token_rows(report()) == token_rows(load_oracle("ccusage-daily-utc.json"))
