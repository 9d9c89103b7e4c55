"""Steps of features/licensing.feature and features/aggregator.feature: real keys, real `ccp`, real HTTP."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from ccp_assets.licensing import LicenseError, install_policy, load_policy
from ccp_assets.licensing.issuing import keygen, load_private_key, mint, mint_policy, mint_revocations
from ccp_assets.settings import load_settings
from tests.aggregator.conftest import base_config, encode, headers, serve_app, summary
from tests.conftest import FIXTURES
from tests.helpers import ccp

scenarios("licensing.feature", "aggregator.feature")


def _merge_keyring(ccp_env, pub: Path) -> None:
    ring_file = ccp_env.tmp / "trusted_keys.json"
    keys = json.loads(ring_file.read_text())["keys"] if ring_file.exists() else {}
    keys.update(json.loads(pub.read_text())["keys"])
    ring_file.write_text(json.dumps({"keys": keys}))
    ccp_env.env["CCP_TRUSTED_KEYS"] = str(ring_file)


@given("an operator key trusted by this machine", target_fixture="operator_key")
def operator_key(ccp_env) -> tuple[Path, str]:
    key, pub = keygen("bdd-op-1", ccp_env.tmp / "op1")
    _merge_keyring(ccp_env, pub)
    return key, "bdd-op-1"


@given("a second operator key trusted by this machine", target_fixture="second_key")
def second_key(ccp_env) -> tuple[Path, str]:
    key, pub = keygen("bdd-op-2", ccp_env.tmp / "op2")
    _merge_keyring(ccp_env, pub)
    return key, "bdd-op-2"


def _mint(ccp_env, key_kid: tuple[Path, str], name: str) -> Path:
    key, kid = key_kid
    pack = mint(key, kid, "pro", ["telemetry_minimized"], 30, license_id="bdd-license-1")
    path = ccp_env.tmp / name
    path.write_text(json.dumps(pack))
    return path


@given("a license pack it signed", target_fixture="pack_file")
def signed_pack(ccp_env, operator_key) -> Path:
    return _mint(ccp_env, operator_key, "license.pack")


@then("ccp license verify accepts the pack")
def verify_accepts(ccp_env, pack_file) -> None:
    assert ccp(ccp_env.env, "license", "verify", str(pack_file), check=False).returncode == 0


@then("ccp license verify accepts the pack re-spaced")
def verify_accepts_respaced(ccp_env, pack_file) -> None:
    spaced = pack_file.with_suffix(".spaced")
    spaced.write_text(json.dumps(json.loads(pack_file.read_text()), indent=2))
    assert ccp(ccp_env.env, "license", "verify", str(spaced), check=False).returncode == 0


@when(parsers.parse('the plan in the pack is changed to "{plan}"'))
def forge(pack_file, plan: str) -> None:
    pack = json.loads(pack_file.read_text())
    pack["license"]["plan"] = plan
    pack_file.write_text(json.dumps(pack))


@then(parsers.parse('ccp license verify rejects it saying "{reason}"'))
def verify_rejects(ccp_env, pack_file, reason: str) -> None:
    r = ccp(ccp_env.env, "license", "verify", str(pack_file), check=False)
    assert r.returncode != 0 and reason in (r.stdout + r.stderr), r.stdout + r.stderr
    assert json.loads(pack_file.read_text())["signature"] not in r.stdout + r.stderr


@then("ccp license verify rejects every AgentOS placeholder pack")
def placeholders_rejected(ccp_env) -> None:
    packs = sorted((FIXTURES / "agentos" / "licenses").glob("*.json"))
    assert packs
    for p in packs:
        assert ccp(ccp_env.env, "license", "verify", str(p), check=False).returncode != 0, p.name


@then("packs signed by either key verify")
def both_verify(ccp_env, operator_key, second_key) -> None:
    for i, k in enumerate((operator_key, second_key)):
        assert ccp(ccp_env.env, "license", "verify", str(_mint(ccp_env, k, f"p{i}.pack")), check=False).returncode == 0


@when("the operator revokes that license id")
def revoke(ccp_env, operator_key) -> None:
    key, kid = operator_key
    revocations = mint_revocations(load_private_key(key), kid, 1, 30, license_ids=["bdd-license-1"])
    from ccp_assets.licensing import install_revocations

    settings = load_settings({**ccp_env.env})
    install_revocations(json.dumps(revocations), settings, time.time())


@given(parsers.parse("policy version {version:d} is installed"))
def policy_installed(ccp_env, operator_key, version: int) -> None:
    _install_policy(ccp_env, operator_key, version)


def _install_policy(ccp_env, operator_key, version: int):
    key, kid = operator_key
    pack = mint_policy(load_private_key(key), kid, version, 30, allowed_models={"pro": ["claude-*", "glm-*"]},
                       retention_days=30, redaction_rules=[], upload_limits={"max_body_bytes": 1_000_000})
    return install_policy(json.dumps(pack), load_settings({**ccp_env.env}), time.time())


@when(parsers.parse("policy version {version:d} is offered"), target_fixture="offered")
def policy_offered(ccp_env, operator_key, version: int) -> Exception | None:
    try:
        _install_policy(ccp_env, operator_key, version)
    except LicenseError as e:
        return e
    return None


@then(parsers.parse("it is refused as a rollback and version {version:d} stays"))
def rollback_refused(ccp_env, offered, version: int) -> None:
    assert offered is not None and "rollback" in str(offered.reason)
    policy, _ = load_policy(load_settings({**ccp_env.env}), time.time())
    assert policy is not None and policy.version == version


@pytest.fixture
def aggregator(tmp_path):
    from tests.aggregator.conftest import Operator

    key_path, pub_path = keygen("bdd-agg", tmp_path / "agg-op")
    op = Operator(tmp_path, load_private_key(key_path), "bdd-agg", pub_path)
    served = serve_app(__import__("ccp_assets.aggregator.app", fromlist=["create_app"]).create_app(
        base_config(tmp_path, op)))
    yield served, op
    served.stop()


@given("a running aggregator on 127.0.0.1 trusting an operator key", target_fixture="agg")
def running_aggregator(aggregator):
    return aggregator


@when("a minimized summary is posted twice with the same Idempotency-Key", target_fixture="answers")
def post_twice(agg) -> list:
    served, op = agg
    lic = encode(op.pack(["telemetry_minimized"]))
    with served.client() as c:
        return [c.post("/v1/metrics", json=summary(), headers=headers(lic, key="bdd-key-1")) for _ in range(2)]


@then("both answers are the same 202")
def same_answers(answers) -> None:
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()


@then("the aggregator stored it once")
def stored_once(agg) -> None:
    served, _ = agg
    assert served.counts()["metrics"] == 1
