"""Compare two landings dumped by bench/landing.py --dump: every landed row (source, file, byte offset, line
number, part, day, time, text, hash), every quarantine row and every ledger row must be equal.
usage: landing_diff.py A.parquet B.parquet"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def main() -> None:
    a, b = (Path(p) for p in sys.argv[1:3])
    con = duckdb.connect()
    failed = False
    for suffix in ("", ".quarantine", ".ledger"):
        pa, pb = (str(p.with_suffix(f"{suffix}.parquet")) for p in (a, b))
        na, nb = (con.execute(f"SELECT count(*) FROM '{p}'").fetchone()[0] for p in (pa, pb))
        only_a = con.execute(f"SELECT count(*) FROM (FROM '{pa}' EXCEPT ALL FROM '{pb}')").fetchone()[0]
        only_b = con.execute(f"SELECT count(*) FROM (FROM '{pb}' EXCEPT ALL FROM '{pa}')").fetchone()[0]
        print(f"{suffix or '.rows'}: {na} vs {nb} rows; only in A {only_a}, only in B {only_b}")
        if only_a or only_b:
            failed = True
            print(con.execute(f"SELECT * FROM (FROM '{pa}' EXCEPT ALL FROM '{pb}') LIMIT 3").fetchall())
            print(con.execute(f"SELECT * FROM (FROM '{pb}' EXCEPT ALL FROM '{pa}') LIMIT 3").fetchall())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
