"""Landing alone: every enabled source of the environment landed into a fresh CCP_HOME (a script, not a timed
test; `--again` keeps the CCP_HOME: an incremental landing). usage:
CLAUDE_CONFIG_DIR=... [CCP_USAGE_LOG_DIR=...] landing.py CCP_HOME [--again] [--dump OUT.parquet]

`--dump` writes what landed (source, file, byte offset, line number, part, day, ts, md5 of the text, hash), the
landing quarantine and the ledger, so two implementations can be compared row for row (bench/landing_diff.py)."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path


def main() -> None:
    home = Path(sys.argv[1]).resolve()
    if "--again" not in sys.argv:
        shutil.rmtree(home, ignore_errors=True)
    os.environ["CCP_HOME"] = str(home)
    from ccp_assets.settings import load_settings
    from ccp_assets.sources.landing import land
    from ccp_assets.sources.registry import SOURCES
    from ccp_assets.warehouse.resource import warehouse_for

    settings = load_settings()
    t0 = time.perf_counter()
    with warehouse_for(settings.warehouse_path).connect() as conn:
        for adapter in SOURCES:
            r = land(conn, adapter, settings)
            if r.files_seen:
                print(f"{adapter.name}: {r.files_read} files, {r.bytes_read / 1e6:.1f} MB, {r.lines_landed} lines, "
                      f"{r.quarantined} quarantined, {r.held} held, {len(r.days)} days", file=sys.stderr)
        print(f"landing {time.perf_counter() - t0:.2f} s", file=sys.stderr)
        if "--dump" in sys.argv:
            dump(conn, settings, Path(sys.argv[sys.argv.index("--dump") + 1]).resolve())


def dump(conn: object, settings: object, out: Path) -> None:
    """Landed rows, quarantine and ledger; paths under CCP_HOME (the export logs) written as `$CCP_HOME`, and
    the ledger without dev/inode/mtime, so two landings of the same inputs into two homes compare equal."""
    from ccp_assets.sources.landing import day_files, landed_days
    from ccp_assets.sources.registry import SOURCES

    home = str(settings.ccp_home)
    file = f"replace(file, '{home}', '$CCP_HOME') AS file"
    parts = [f"SELECT '{a.name}' AS source, {file}, byte_offset, line_no, part, CAST(day AS VARCHAR) AS day, ts, "
             f"md5(line) AS line_md5, line_hash FROM read_parquet({day_files(settings, a.name, days)!r}, "
             f"hive_partitioning = true)" for a in SOURCES if (days := landed_days(settings, a.name))]
    conn.execute(f"COPY ({' UNION ALL '.join(parts)}) TO '{out}' (FORMAT parquet)")
    conn.execute(f"COPY (SELECT source, kind, {file}, byte_offset, line_no, day, reason, excerpt, state FROM quarantine) "
                 f"TO '{out.with_suffix('.quarantine.parquet')}' (FORMAT parquet)")
    conn.execute(f"COPY (SELECT source, replace(path, '{home}', '$CCP_HOME') AS path, head_len, head_hash, byte_offset, "
                 f"line_no, size, last_ts FROM landing_files) TO '{out.with_suffix('.ledger.parquet')}' (FORMAT parquet)")

if __name__ == "__main__":
    main()
