"""Compat job: the real ccusage 20.0.24 and `ccp report daily --json` over every ported case and real fixture.

For each Claude config tree (tests/sources/ccusage_cases/<case> and tests/fixtures/claude-code) it runs
`ccusage daily --json --offline --timezone UTC` with CLAUDE_CONFIG_DIR set to it, and `ccp materialize` +
`ccp report daily --json --timezone UTC` in a fresh CCP_HOME / DAGSTER_HOME, then prints every difference:
days, per-day and per-model tokens (must be exact) and cost (within 1%). Exit status 1 when any differs.

    .venv/bin/python bench/ccusage_compat.py [case ...]
    CCUSAGE_BIN=/path/to/ccusage  (default .tools/ccusage/node_modules/.bin/ccusage from `make oracle`, else `npx ccusage@20.0.24`)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "sources" / "ccusage_cases"
FIXTURE = REPO / "tests" / "fixtures" / "claude-code"
TOKENS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")
COST_TOLERANCE = 0.01


def ccusage_cmd() -> list[str]:
    binary = Path(os.environ.get("CCUSAGE_BIN", REPO / ".tools/ccusage/node_modules/.bin/ccusage"))
    return [str(binary)] if binary.exists() else ["npx", "--yes", "ccusage@20.0.24"]


def run_ccusage(tree: Path) -> dict[str, Any]:
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(tree)}
    out = subprocess.run([*ccusage_cmd(), "daily", "--json", "--offline", "--timezone", "UTC"], env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    return json.loads(out.stdout)


def run_ccp(tree: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="ccp-compat-") as tmp:
        home = Path(tmp)
        (home / "dagster_home").mkdir()
        shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster_home" / "dagster.yaml")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
        env.update({"CCP_HOME": str(home / "ccp"), "DAGSTER_HOME": str(home / "dagster_home"),
                    "CLAUDE_CONFIG_DIR": str(tree), "CCP_TIMEZONE": "UTC", "HOME": str(home),
                    "PYTHONPATH": str(REPO)})
        ccp = str(REPO / ".venv" / "bin" / "ccp")
        m = subprocess.run([ccp, "materialize"], env=env, capture_output=True, text=True, timeout=1200, cwd=home)
        if m.returncode != 0:
            print(f"  note: ccp materialize exited {m.returncode}: {(m.stdout + m.stderr).strip()[-300:]}")
        r = subprocess.run([ccp, "report", "daily", "--json", "--timezone", "UTC"], env=env, capture_output=True,
                           text=True, timeout=300, cwd=home, check=True)
        return json.loads(r.stdout)


def _rows(rep: dict[str, Any]) -> dict[tuple[str, str], tuple[tuple[int, ...], float]]:
    """(day, model or '(day total)') -> (tokens, cost)."""
    out = {}
    for d in rep["daily"]:
        out[(d["period"], "(day total)")] = (tuple(d[k] for k in TOKENS), d["totalCost"])
        for m in d["modelBreakdowns"]:
            out[(d["period"], m["modelName"])] = (tuple(m[k] for k in TOKENS), m["cost"])
    return out


def diff(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    a, b = _rows(ours), _rows(theirs)
    problems = []
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            problems.append(f"{key}: only in {'ccp' if key in a else 'ccusage'}: {a.get(key) or b.get(key)}")
            continue
        (ta, ca), (tb, cb) = a[key], b[key]
        if ta != tb:
            problems.append(f"{key}: tokens ccp {ta} != ccusage {tb}")
        if abs(ca - cb) > COST_TOLERANCE * abs(cb) + 1e-9:
            problems.append(f"{key}: cost ccp {ca:.6f} vs ccusage {cb:.6f} ({(ca - cb) / (cb or 1):+.2%})")
    return problems


def main(names: list[str]) -> int:
    trees = {p.name: p for p in sorted(CASES.iterdir()) if (p / "projects").is_dir()}
    trees["fixtures/claude-code"] = FIXTURE
    if names:
        trees = {k: v for k, v in trees.items() if k in names}
    failed = 0
    for name, tree in trees.items():
        theirs, ours = run_ccusage(tree), run_ccp(tree)
        problems = diff(ours, theirs)
        days = len(theirs["daily"])
        status = "AGREE" if not problems else "DIFFER"
        print(f"{status:6} {name}: {days} day(s), {theirs['totals']['totalTokens']} tokens, "
              f"${theirs['totals']['totalCost']:.6f} (ccusage) / ${ours['totals']['totalCost']:.6f} (ccp)")
        for p in problems:
            print(f"    {p}")
        failed += bool(problems)
    print(f"{len(trees) - failed}/{len(trees)} agree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
