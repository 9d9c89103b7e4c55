"""Every bad configuration or argument: a non-zero exit, one short line naming the value, no traceback.

Table-driven over the real `ccp` executable (INTERFACES.md "Errors and exit codes": exit 2), plus the
Dagster code location loading with the same one line instead of a 195-line traceback.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CLAUDE_FIXTURE, REPO
from tests.helpers import CCP

CASES = [
    # (id, environment overrides, arguments, text the one line must contain)
    ("timezone", {"CCP_TIMEZONE": "Mars/Olympus"}, ["report", "daily"], "CCP_TIMEZONE=Mars/Olympus"),
    ("timezone-abbreviation", {"CCP_TIMEZONE": "JST"}, ["report", "daily"], "Asia/Tokyo"),
    ("timezone-in-materialize", {"CCP_TIMEZONE": "JST"}, ["materialize"], "CCP_TIMEZONE=JST"),
    ("privacy-tier", {"CCP_PRIVACY_TIER": "public"}, ["materialize"], "CCP_PRIVACY_TIER=public"),
    ("start-date", {"CCP_START_DATE": "01/02/2026"}, ["report", "daily"], "CCP_START_DATE=01/02/2026"),
    ("since-month-13", {}, ["report", "daily", "--since", "2026-13-01"], "--since=2026-13-01"),
    ("until-not-a-day", {}, ["report", "weekly", "--until", "tomorrow"], "--until=tomorrow"),
    ("reversed-range", {}, ["report", "monthly", "--since", "20260212", "--until", "20260210"], "swap them"),
    ("timezone-flag", {}, ["report", "daily", "--timezone", "Mars/Olympus"], "--timezone=Mars/Olympus"),
    ("timezone-short-flag", {}, ["report", "blocks", "-z", "Mars/Olympus"], "--timezone=Mars/Olympus"),
    ("order", {}, ["report", "session", "--order", "sideways"], "--order=sideways"),
    ("instances-on-sessions", {}, ["report", "session", "--instances"], "--instances"),
    ("relative-dagster-home", {"DAGSTER_HOME": "dh_relative"}, ["materialize"], "DAGSTER_HOME=dh_relative"),
    ("missing-claude-dir", {"CLAUDE_CONFIG_DIR": "/nonexistent/claude"}, ["materialize"],
     "CLAUDE_CONFIG_DIR=/nonexistent/claude"),
    ("end-not-a-day", {}, ["demo-data", "--out", "demo", "--end", "2026-02-30"], "--end=2026-02-30"),
    ("missing-proxy-dir", {"CCP_USAGE_LOG_DIR": "/nonexistent/logs"}, ["materialize"], "CCP_USAGE_LOG_DIR"),
    ("memory-limit", {"CCP_DUCKDB_MEMORY_LIMIT": "lots"}, ["report", "daily"], "CCP_DUCKDB_MEMORY_LIMIT=lots"),
    ("aggregator-url", {"CCP_AGGREGATOR_URL": "ftp:/x"}, ["upload", "--dry-run"], "CCP_AGGREGATOR_URL=ftp:/x"),
]


def _env(tmp: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCP_")}
    (tmp / "home").mkdir(exist_ok=True)
    env.update({"CCP_HOME": str(tmp / "ccp_home"), "DAGSTER_HOME": str(tmp / "dagster_home"),
                "HOME": str(tmp / "home"), "CLAUDE_CONFIG_DIR": str(tmp / "claude"), "PYTHONPATH": str(REPO)})
    (tmp / "claude" / "projects").mkdir(parents=True, exist_ok=True)
    env.update(extra)
    return env


def _said(r: subprocess.CompletedProcess) -> list[str]:
    return [line for line in (r.stdout + r.stderr).splitlines() if line.strip()]


@pytest.mark.parametrize(("env_extra", "args", "names"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_configuration_is_one_line_exit_2(tmp_path, env_extra, args, names):
    r = subprocess.run([str(CCP), *args], env=_env(tmp_path, env_extra), capture_output=True, text=True,
                       timeout=300, cwd=tmp_path / "home")
    lines = _said(r)
    assert r.returncode == 2, (r.returncode, lines)
    assert len(lines) == 1 and len(lines[0]) <= 200, lines
    assert "Traceback" not in r.stderr and names in lines[0] and lines[0].startswith("error: "), lines
    assert not (tmp_path / "home" / "dh_relative").exists()  # never silently created under the cwd


def test_report_with_a_missing_claude_dir_names_it_and_answers_from_the_warehouse(tmp_path):
    """Transcripts deleted after landing are still in the warehouse: the report warns, names the folder, exits 0."""
    env = _env(tmp_path, {"CLAUDE_CONFIG_DIR": "/nonexistent/claude"})
    r = subprocess.run([str(CCP), "report", "daily", "--json"], env=env, capture_output=True, text=True,
                       timeout=300, cwd=tmp_path / "home")
    assert r.returncode == 0 and json.loads(r.stdout)["daily"] == []
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("warning: CLAUDE_CONFIG_DIR=/nonexistent/claude: no such directory"), r.stderr


def test_missing_claude_dir_next_to_another_source_only_turns_claude_off(tmp_path):
    """The spec's contract-check runs AgentOS-only installs with CLAUDE_CONFIG_DIR at a folder that is not there."""
    from ccp_assets.settings import load_settings

    (tmp_path / "agentos").mkdir()
    s = load_settings({"CLAUDE_CONFIG_DIR": str(tmp_path / "no-claude"), "CCP_AGENTOS_DATA_DIR": str(tmp_path / "agentos"),
                       "CCP_HOME": str(tmp_path / "h")})
    warning = s.require_sources()
    assert warning and "no-claude" in warning and "Claude Code source off" in warning


def test_claude_config_dir_may_point_at_projects_itself(tmp_path):
    """ccusage accepts the projects/ folder itself; so do we (the fixture lands, nothing is refused)."""
    shutil.copytree(CLAUDE_FIXTURE / "projects", tmp_path / "c" / "projects")
    from ccp_assets.settings import load_settings

    s = load_settings({"CLAUDE_CONFIG_DIR": str(tmp_path / "c" / "projects"), "CCP_HOME": str(tmp_path / "h")})
    assert s.claude_config_dirs == ((tmp_path / "c").resolve(),)
    s.require_sources()


@pytest.mark.slow  # `ccp report` brings the warehouse up to date first: a graph run
def test_days_before_start_date_are_said_not_silently_dropped(tmp_path):
    """The fixture has 2026-02-10 and 2026-02-12; with CCP_START_DATE=2026-02-11 the first day is left out
    and the report says how many lines and why."""
    shutil.copytree(CLAUDE_FIXTURE / "projects", tmp_path / "claude" / "projects")
    env = _env(tmp_path, {"CCP_START_DATE": "2026-02-11", "CCP_TIMEZONE": "UTC"})
    (tmp_path / "dagster_home").mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", tmp_path / "dagster_home" / "dagster.yaml")
    r = subprocess.run([str(CCP), "report", "daily", "--json"], env=env, capture_output=True, text=True,
                       timeout=600, cwd=tmp_path / "home")
    assert r.returncode == 0, r.stderr
    assert [d["period"] for d in json.loads(r.stdout)["daily"]] == ["2026-02-12"]
    # Lines of the fixture's files stamped 2026-02-10 (UTC), counted here from the files themselves.
    want = sum(1 for f in (tmp_path / "claude" / "projects").rglob("*.jsonl")
               for line in f.read_text().splitlines() if '"timestamp":"2026-02-10T' in line.replace(" ", ""))
    note = [line for line in r.stderr.splitlines() if "CCP_START_DATE=2026-02-11" in line]
    assert note and "before CCP_START_DATE" in note[0], r.stderr
    assert note[0].startswith(f"note: {want:,} landed lines on 1 day(s) before") and want > 0, (note, want)


def test_code_location_fails_with_the_one_line_not_a_wall(tmp_path):
    env = _env(tmp_path, {"CCP_TIMEZONE": "JST"})
    (tmp_path / "dagster_home").mkdir()
    r = subprocess.run([str(REPO / ".venv" / "bin" / "dagster"), "definitions", "validate", "-m",
                        "ccp_assets.definitions"], env=env, capture_output=True, text=True, timeout=300, cwd=REPO)
    out = r.stdout + r.stderr
    assert r.returncode != 0
    assert "CCP_TIMEZONE=JST: not an IANA time zone" in out and "Asia/Tokyo" in out
    assert len(out.splitlines()) < 40, out  # was 195 lines
