"""Issue 18 from the command line: `ccp license mint --org` puts the team in the signed pack (and refuses a
bad one in one line); `ccp aggregator serve` on a `postgresql://` URL is a real server process on the
PostgreSQL store (schema migrated by Alembic on start, the data outliving a kill -9), and an unreachable
database is one configuration line (exit 2) that never shows the password."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import httpx
from typer.testing import CliRunner

from ccp_assets.aggregator.server import free_port
from ccp_assets.cli.license_cmd import license_app
from ccp_assets.licensing import verify_pack
from ccp_assets.licensing.keyring import keyring_from_file
from tests.pg_server import PgServer

from .conftest import Operator, Served, env_for, headers, start, summary
from .team_installs import OPERATOR_TOKEN

runner = CliRunner()


def test_mint_org_is_signed_into_the_pack_and_a_bad_org_is_one_line(operator: Operator, tmp_path: Path) -> None:
    key = operator.tmp / "operator" / f"{operator.kid}.key"
    base = ["mint", "--key", str(key), "--plan", "pro", "--features", "telemetry_minimized", "--days", "5"]
    r = runner.invoke(license_app, [*base, "--org", "acme-eng", "--out", str(tmp_path / "p.pack")])
    assert r.exit_code == 0, r.output
    raw = (tmp_path / "p.pack").read_text()
    assert json.loads(raw)["license"]["org"] == "acme-eng"
    lic = verify_pack(raw, now=json.loads(raw)["license"]["iat"], keyring=keyring_from_file(operator.keys_file))
    assert lic.org == "acme-eng"
    bad = runner.invoke(license_app, [*base, "--org", "acme eng/../x"])
    assert bad.exit_code != 0 and "org must be" in bad.output and "Traceback" not in bad.output


def test_serve_on_a_postgresql_url_keeps_the_team_view_across_kill_9(
    operator: Operator, pg_server: PgServer
) -> None:
    url = pg_server.create_database()
    env = {**env_for(operator, Path("unused")), "CCP_AGGREGATOR_DB": url, "CCP_AGGREGATOR_OPERATOR_TOKEN": OPERATOR_TOKEN}
    lic = operator.header(license_id="lic-cli", org="acme")
    proc, base = start(env)
    try:
        doc = summary("2026-02-14", device_id="a" * 32)
        assert httpx.post(f"{base}/v1/metrics", json=doc, headers=headers(lic, key="cli-1")).status_code == 202
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    proc, base = start(env)  # the schema is already at head: the second start migrates nothing
    try:
        r = httpx.get(f"{base}/v1/team/daily", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
        assert r.status_code == 200
        [day] = r.json()["daily"]
        assert day["period"] == "2026-02-14" and [d["device"] for d in day["devices"]] == ["a" * 32]
        assert day["totalCost"] == 1.75  # 1.25 + 0.5 from the summary, by hand
        replay = httpx.post(f"{base}/v1/metrics", json=doc, headers=headers(lic, key="cli-1"))
        assert replay.status_code == 202 and replay.headers["Idempotent-Replayed"] == "true"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    pg_server.drop_database(url)


def test_an_unreachable_database_is_one_configuration_line(operator: Operator) -> None:
    from .test_agg_restart import cli

    dead = f"postgresql://ccp:s3cret-pass@127.0.0.1:{free_port()}/nowhere"
    env = {"CCP_AGGREGATOR_DB": dead, "CCP_AGGREGATOR_TRUSTED_KEYS": str(operator.keys_file)}
    r = CliRunner().invoke(cli(), ["aggregator", "serve", "--port", "0"], env=env)
    assert r.exit_code == 2 and "configuration error" in r.output and "cannot open the PostgreSQL" in r.output
    assert "s3cret-pass" not in r.output and r.output.strip().count("\n") == 0
    r = CliRunner().invoke(cli(), ["aggregator", "serve", "--port", "0", "--db", dead], env={**env, "CCP_AGGREGATOR_DB": ""})
    assert r.exit_code == 2 and "cannot open the PostgreSQL" in r.output and "s3cret-pass" not in r.output


def test_a_database_outage_is_503_with_retry_after_then_uploads_resume(
    operator: Operator, serve_app_on: Callable[[str], Served]
) -> None:
    """PostgreSQL goes away under a running aggregator: uploads and /healthz answer 503 with Retry-After
    (never 500); once it is back, the next upload is stored (the pool drops its dead connections)."""
    pg = PgServer.start()  # its own server: the session's must not go down
    try:
        agg = serve_app_on(pg.create_database())
        lic = operator.header(license_id="lic-outage")
        with agg.client() as c:
            assert c.post("/v1/metrics", json=summary("2026-02-10"), headers=headers(lic, key="o-1")).status_code == 202
            pg.pause()
            down = c.post("/v1/metrics", json=summary("2026-02-11"), headers=headers(lic, key="o-2"))
            assert down.status_code == 503 and down.headers["Retry-After"], down.text
            health = c.get("/healthz")
            assert health.status_code == 503 and "database cannot write" in health.json()["reason"]
            pg.resume()
            answers = [
                c.post("/v1/metrics", json=summary("2026-02-11"), headers=headers(lic, key="o-2")).status_code
                for _ in range(2)
            ]
            assert answers[-1] == 202 and set(answers) <= {202, 503}, answers
            assert c.get("/healthz").status_code == 200
            assert agg.counts()["metrics"] == 2
    finally:
        pg.stop()
