"""One package per source behind one protocol: what the registry makes, and an agent source's own calls."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ccp_assets.definitions import ASSETS
from ccp_assets.sources.registry import SOURCES, agents


def test_every_registered_source_is_one_step_of_raw_and_normalized_with_its_checks():
    keys = {k.to_user_string() for a in ASSETS for k in a.keys}
    checks = {(spec.asset_key.to_user_string(), spec.name) for a in ASSETS for spec in a.check_specs}
    steps = {a.node_def.name: {k.to_user_string() for k in a.keys} for a in ASSETS}
    assert len({s.name for s in SOURCES}) == len(SOURCES)
    for s in SOURCES:
        assert {f"raw_{s.name}", f"normalized_{s.name}"} <= keys
        assert set(s.checked_tables) <= set(s.tables), s.name
        assert {(f"normalized_{s.name}", f"{t}_suite") for t in s.checked_tables} <= checks
        assert s.raw_description and s.normalized_description
        assert steps[f"source_{s.name}"] == {f"raw_{s.name}", f"normalized_{s.name}"}  # one step (issue 16)
    # the registered sources, and their checks, are exactly the graph's (none made by hand elsewhere)
    assert {k for k in keys if k.startswith(("raw_", "normalized_"))} == {
        f"{layer}_{s.name}" for s in SOURCES for layer in ("raw", "normalized")}
    assert len(checks) == sum(len(s.checked_tables) for s in SOURCES)


def test_agents_and_their_report_commands_come_from_the_registry():
    from typer.main import get_command

    from ccp_assets.cli.report_cmd import report_app

    # ccusage's namespaces, by the names ccusage 20.0.24 gives them (`ccusage claude|codex daily`)
    assert agents() == {"claude_code": "claude", "codex": "codex"}
    groups = get_command(report_app).commands  # type: ignore[attr-defined]
    for agent in agents().values():
        assert set(groups[agent].commands) == {"daily", "weekly", "monthly", "session", "blocks"}


def test_an_agent_sources_completed_turns_are_unified_calls_priced_under_its_own_key(tmp_path, monkeypatch):
    """A source with calls = "own" (Codex): each completed turn is a unified_turns row of its own and its cost
    is a cost_usd_by_source key of its own; error lines and local placeholders are not calls."""
    monkeypatch.setenv("CCP_HOME", str(tmp_path))
    from ccp_assets.assets.measurements.by_source import cost_by_source
    from ccp_assets.measurements.usage import price_day
    from ccp_assets.sources.unified import Roles, build_day
    from ccp_assets.warehouse.resource import warehouse_for

    day = "2026-01-05"
    ts = datetime(2026, 1, 5, 10, tzinfo=UTC)
    rows = [("a1", "claude-sonnet-4-5", 1000, 500, None), ("a2", "claude-sonnet-4-5", 70, 9, True),
            ("a3", "<synthetic>", 0, 0, None)]
    with warehouse_for(tmp_path / "w.duckdb").connect() as conn:
        conn.executemany("INSERT INTO turns (turn_id, source, day, ts, model, provider, tokens_in, tokens_out, "
                         "is_api_error) VALUES (?, 'agent_x', ?, ?, ?, 'anthropic', ?, ?, ?)",
                         [[t, date(2026, 1, 5), ts, m, i, o, e] for t, m, i, o, e in rows])
        res = build_day(conn, day, Roles(own=("agent_x",)))
        assert (res.rows, res.claude_code, res.proxy_only, res.own_calls) == (1, 0, 0, {"agent_x": 1})
        assert conn.execute("SELECT turn_id, sources, tokens_in, tokens_out FROM unified_turns").fetchall() == [
            ("a1", ["agent_x"], 1000, 500)]
        price_day(conn, day)
        # claude-sonnet-4-5: $3 per M input tokens, $15 per M output tokens (pricing/prices_v1.json)
        assert cost_by_source(conn, day) == {"agent_x": round(1000 * 3 / 1e6 + 500 * 15 / 1e6, 6)}
