"""Steps of features/tiers.feature: real runs, the real aggregator on 127.0.0.1, real keys."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from dagster import DagsterInstance, RunRequest, build_sensor_context
from pytest_bdd import given, parsers, scenarios, then, when

from ccp_assets.definitions import defs
from ccp_assets.sensors.uploads import upload_sensor
from ccp_assets.settings_resource import SettingsResource
from tests.bdd.conftest import MAIN
from tests.helpers import ccp, materialize_all

# the fixtures of the upload tests (operator key, aggregator) serve these scenarios too
from tests.uploads.conftest import (  # noqa: F401
    aggregator,
    contract_lib,
    db_bytes,
    license_env,
    operator,
    setenv,
    stored_rows,
)

scenarios("tiers.feature")

FEATURES = {"full": ["telemetry_minimized", "telemetry_full", "policy_packs"], "minimized": ["telemetry_minimized"]}


@given(parsers.parse("a license allowing {allowed} telemetry but the {tier} tier requested"))
@given(parsers.parse("a license allowing {allowed} telemetry and the {tier} tier requested"))
def license_and_tier(ccp_env, monkeypatch, operator, allowed: str, tier: str) -> None:  # noqa: F811
    license_env(ccp_env, monkeypatch, operator, tier, FEATURES[allowed])


@given("a running aggregator that records every request", target_fixture="agg")
def running_aggregator(ccp_env, monkeypatch, aggregator):  # noqa: F811
    served = aggregator()
    setenv(ccp_env, monkeypatch, CCP_AGGREGATOR_URL=served.url)
    return served


@given("transcripts with planted secrets", target_fixture="secrets")
def planted(ccp_env, monkeypatch) -> dict[str, str]:
    cfg, secrets = contract_lib().planted_claude_tree(ccp_env.tmp, MAIN)
    setenv(ccp_env, monkeypatch, CLAUDE_CONFIG_DIR=str(cfg))
    return secrets


@when("I materialize and upload in-process under a socket audit", target_fixture="attempts")
def audited_run(ccp_env) -> list[str]:
    from ccp_assets.settings import load_settings
    from ccp_assets.uploads.service import run_upload

    attempts: list[str] = []

    def hook(event: str, args: tuple) -> None:
        if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname") or (
                event == "socket.__new__" and args and args[1] in (socket.AF_INET, socket.AF_INET6)):
            attempts.append(event)

    sys.addaudithook(hook)  # audit hooks cannot be removed: the hook only records, the test judges
    start = len(attempts)
    outcome = materialize_all()
    assert outcome is not None and outcome.success
    run_upload(load_settings())
    return attempts[start:]


@then("no network socket was opened")
def no_socket(attempts) -> None:
    assert attempts == []


@then("the aggregator received nothing")
def received_nothing(agg) -> None:
    assert agg.recorder.uploads() == []


@when("I run ccp upload")
def run_upload_cli(ccp_env, world) -> None:
    world["upload"] = ccp(ccp_env.env, "upload")


@then("the aggregator stored only minimized summaries without any identifying string")
def minimized_only(ccp_env, agg) -> None:
    paths = {r["path"] for r in agg.recorder.uploads()}
    assert paths == {"/v1/metrics"}
    stored = db_bytes(agg.db_path)
    cfg = Path(ccp_env.env["CLAUDE_CONFIG_DIR"])
    leaks = [s for s in contract_lib().forbidden_strings(cfg) if s.encode() in stored]
    assert leaks == []


@then("events were stored and no planted secret is in any stored byte")
def no_secret(agg, secrets) -> None:
    assert agg.counts().get("events", 0) > 0
    stored = db_bytes(agg.db_path)
    cores = {k: (v.split("\n")[1][:30] if k == "pem" else v[-24:]) for k, v in secrets.items()}
    assert [k for k, c in cores.items() if c.encode() in stored] == []


@when("the upload sensor ticks", target_fixture="request_")
def sensor_ticks() -> RunRequest:
    with DagsterInstance.ephemeral() as instance:
        result = upload_sensor(build_sensor_context(instance=instance, resources={"settings": SettingsResource()}))
    assert isinstance(result, RunRequest), result
    return result


@then("it launches the sender, which delivers every day once")
def sender_delivers(agg, request_) -> None:
    with DagsterInstance.ephemeral() as instance:
        run = defs.get_job_def("upload_sender").execute_in_process(instance=instance, tags=request_.tags)
    assert run.success
    days = {json.loads(r[0])["date"] for r in stored_rows(agg.db_path, "SELECT payload FROM metrics")}
    assert days == {"2026-02-10", "2026-02-12"} and agg.counts()["metrics"] == 2
