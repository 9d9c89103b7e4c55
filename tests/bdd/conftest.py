"""Shared steps: each scenario runs the real `ccp`, real Dagster runs, real DuckDB, real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, then, when

from tests.conftest import CLAUDE_FIXTURE, MAIN_SESSION, load_oracle
from tests.helpers import ccp, report, token_rows

PROJECT = next((CLAUDE_FIXTURE / "projects").glob("*/"))
MAIN = PROJECT / f"{MAIN_SESSION}.jsonl"


@pytest.fixture
def world() -> dict[str, Any]:
    """What a scenario has done so far (runs, files, answers)."""
    return {}


@given("the real Claude Code fixture transcripts")
def real_transcripts(claude_fixture: Path) -> Path:
    return claude_fixture


@when("I run ccp materialize")
def run_materialize(ccp_env, world) -> None:
    world["result"] = ccp(ccp_env.env, "materialize", check=False)


@then("the run succeeds")
def run_succeeds(world) -> None:
    r = world["result"]
    assert r.returncode == 0, r.stderr


@then("the daily report equals ccusage's daily report for every day and model")
def equals_ccusage(ccp_env, world) -> None:
    assert world["result"].returncode == 0, world["result"].stderr
    ours = json.loads(ccp(ccp_env.env, "report", "daily", "--json", "--timezone", "UTC").stdout)
    assert token_rows(ours) == token_rows(load_oracle("ccusage-daily-utc.json"))


def copy_project_file(ccp_env, name: str) -> Path:
    dst = ccp_env.projects() / name
    shutil.copy(PROJECT / name, dst)
    return dst


def oracle_rows(name: str) -> dict:
    return token_rows(load_oracle(name))


def report_rows() -> dict:
    return token_rows(report())
