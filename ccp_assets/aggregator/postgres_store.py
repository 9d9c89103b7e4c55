"""PostgreSQL implementation of `Storage` (SQLAlchemy Core over psycopg 3), for a team's real deployment.

Selected by a `postgresql://` URL in CCP_AGGREGATOR_DB or `--db`. On open, the schema is brought to the
newest Alembic revision (migrations/), under an advisory lock so two servers starting at once do not
race. The contract of storage.py holds the same way it does on SQLite:
- claim-and-store is one transaction that first takes a transaction-scoped advisory lock on the license
  (scope): the idempotency check, the quota check and the insert see every earlier upload of that
  license, so a concurrent retry replays and a concurrent upload cannot slip past the quota; the UNIQUE
  (scope, idem_key) constraint stays the last word (IntegrityError: replay the winner's answer);
- invite uses are one INSERT ... ON CONFLICT DO UPDATE ... WHERE statement (atomic across servers);
- `health()` is a real write. The free-disk floor (`min_free_bytes`) is not checked: the disk belongs to
  the database server, which this process cannot see; monitor it there.
Connection failures surface as sqlalchemy's OperationalError, which the app answers with 503 and
Retry-After (tests/aggregator/test_agg_team_cli.py stops the server under a running aggregator). No
pre-ping per checkout: SQLAlchemy invalidates the whole pool on the first disconnect error, so an outage
costs one 503 per request in flight, while a ping per checkout halved upload throughput (bench/README.md:
68 -> 126 summaries/s).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from ccp_assets.aggregator import team_sql
from ccp_assets.aggregator.storage import (
    Answer,
    MetricsRow,
    Receipt,
    StoredPolicy,
    TeamUsage,
    accepted_answer,
    over_quota,
    stored_json,
)

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 0x63637061  # "ccpa": one migrating process at a time
TRANSIENT_ERRORS = (OperationalError,)



def engine_url(url: str) -> Any:
    """`postgresql://` (or `postgres://`) as SQLAlchemy's psycopg 3 dialect."""
    parsed = make_url(
        url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url
    )
    return parsed.set(drivername="postgresql+psycopg")


def safe_url(url: str) -> str:
    """The URL for logs and messages: the password never shown."""
    try:
        return engine_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL is reported without echoing it
        return "postgresql://<unparseable URL>"


def migrate(conn: Connection) -> None:
    """Upgrade the schema to the newest revision, inside `conn`'s transaction."""
    from alembic import command
    from alembic.config import Config

    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


class PostgresStorage:
    """`Storage` on PostgreSQL (see the module docstring)."""

    transient_errors = TRANSIENT_ERRORS

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.where = safe_url(url)
        try:
            self._engine = create_engine(
                engine_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False
            )
            with self._engine.begin() as conn:
                migrate(conn)
        except SQLAlchemyError as e:
            first = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
            raise ValueError(f"cannot open the PostgreSQL database {self.where}: {first}") from None

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self._engine.begin() as conn:
            yield conn

    # --- idempotent writes --------------------------------------------------------------------------
    def find_answer(self, scope: str, idem_key: str) -> Answer | None:
        with self._engine.connect() as conn:
            return self._answer(conn, scope, idem_key)

    @staticmethod
    def _answer(conn: Connection, scope: str, idem_key: str) -> Answer | None:
        row = conn.execute(
            text("SELECT status, answer, kind, fingerprint FROM uploads WHERE scope = :s AND idem_key = :k"),
            {"s": scope, "k": idem_key},
        ).first()
        if row is None:
            return None
        return Answer(row[0], json.loads(row[1]), replayed=True, kind=row[2], fingerprint=row[3])

    def _claim_and_store(
        self,
        receipt: Receipt,
        kind: str,
        stored: int,
        size: int,
        quota: int | None,
        write: Callable[[Connection], None],
    ) -> Answer:
        answer = accepted_answer(receipt, kind, stored)
        try:
            with self._tx() as conn:
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(hashtextextended(:s, 0))"), {"s": receipt.scope}
                )
                prior = self._answer(conn, receipt.scope, receipt.idem_key)
                if prior is not None:
                    return prior
                refusal = (
                    over_quota(self._usage(conn, receipt.scope), size, quota) if quota is not None else None
                )
                if refusal is not None:
                    return refusal
                conn.execute(
                    text(team_sql.INSERT_UPLOAD),
                    team_sql.upload_params(receipt, kind, answer, stored_json(answer.body), size),
                )
                write(conn)
        except IntegrityError:  # another server won the race on the unique key
            prior = self.find_answer(receipt.scope, receipt.idem_key)
            if prior is None:
                raise
            return prior
        return answer

    def store_metrics(self, receipt: Receipt, row: MetricsRow, quota_bytes: int | None = None) -> Answer:
        payload = stored_json(row.payload)

        def write(conn: Connection) -> None:
            metric_id = conn.execute(
                text(team_sql.INSERT_METRIC), team_sql.metric_params(receipt, row, payload)
            ).scalar_one()
            for sql, params in (
                (team_sql.INSERT_MODEL, team_sql.model_params(metric_id, row)),
                (team_sql.INSERT_PROVIDER, team_sql.provider_params(metric_id, row)),
            ):
                if params:
                    conn.execute(text(sql), params)

        return self._claim_and_store(receipt, "metrics", 1, len(payload), quota_bytes, write)

    def store_events(
        self, receipt: Receipt, events: list[dict[str, Any]], quota_bytes: int | None = None
    ) -> Answer:
        payloads = [stored_json(ev) for ev in events]

        def write(conn: Connection) -> None:
            conn.execute(
                text("INSERT INTO events (upload_id, scope, seq, payload) VALUES (:u, :s, :i, :p)"),
                [
                    {"u": receipt.upload_id, "s": receipt.scope, "i": i, "p": p}
                    for i, p in enumerate(payloads)
                ],
            )

        size = sum(len(p) for p in payloads)
        return self._claim_and_store(receipt, "events", len(events), size, quota_bytes, write)

    # --- quota and retention ------------------------------------------------------------------------
    @staticmethod
    def _usage(conn: Connection, scope: str) -> int:
        value = conn.execute(
            text("SELECT coalesce(sum(bytes), 0) FROM uploads WHERE scope = :s"), {"s": scope}
        ).scalar_one()
        return int(value)

    def usage(self, scope: str) -> int:
        with self._engine.connect() as conn:
            return self._usage(conn, scope)

    def purge_before(self, received_before: float) -> int:
        old = "SELECT id FROM uploads WHERE received_at < :t AND bytes > 0"
        with self._tx() as conn:
            for child in ("metrics_models", "metrics_providers"):
                conn.execute(
                    text(
                        f"DELETE FROM {child} WHERE metric_id IN (SELECT id FROM metrics WHERE upload_id IN ({old}))"
                    ),
                    {"t": received_before},
                )
            conn.execute(text(f"DELETE FROM metrics WHERE upload_id IN ({old})"), {"t": received_before})
            conn.execute(text(f"DELETE FROM events WHERE upload_id IN ({old})"), {"t": received_before})
            n = conn.execute(
                text("UPDATE uploads SET bytes = 0 WHERE received_at < :t AND bytes > 0"),
                {"t": received_before},
            ).rowcount
        return int(n)

    # --- invite ledger ------------------------------------------------------------------------------
    def invite_uses(self, invite_id: str) -> int:
        with self._engine.connect() as conn:
            value = conn.execute(
                text("SELECT uses FROM invite_uses WHERE invite_id = :i"), {"i": invite_id}
            ).scalar()
        return 0 if value is None else int(value)

    def use_invite(self, invite_id: str, max_uses: int | None) -> bool:
        """Count one use in one statement (atomic across servers); False when already `max_uses`."""
        with self._tx() as conn:
            n = conn.execute(
                text(
                    "INSERT INTO invite_uses (invite_id, uses) SELECT :i, 1 WHERE coalesce(CAST(:m AS BIGINT), 1) >= 1 "
                    "ON CONFLICT (invite_id) DO UPDATE SET uses = invite_uses.uses + 1 "
                    "WHERE CAST(:m AS BIGINT) IS NULL OR invite_uses.uses < CAST(:m AS BIGINT)"
                ),
                {"i": invite_id, "m": max_uses},
            ).rowcount
        return n == 1

    # --- reads --------------------------------------------------------------------------------------
    def _fetch(self, queries: tuple[str, ...], params: dict[str, Any]) -> list[list[tuple[Any, ...]]]:
        with self._engine.connect() as conn:
            return [[tuple(r) for r in conn.execute(text(q), params).all()] for q in queries]

    def aggregate_daily(self, since: str | None = None, until: str | None = None) -> list[dict[str, Any]]:
        rows = self._fetch(
            (team_sql.AGG_UPLOADS, team_sql.AGG_SUMS, team_sql.AGG_MODELS), team_sql.bounds(since, until)
        )
        return team_sql.aggregate_days(*rows)

    def team_usage(self, team: str | None, since: str | None = None, until: str | None = None) -> TeamUsage:
        rows = self._fetch(
            (team_sql.DAYS, team_sql.MODELS, team_sql.PROVIDERS), team_sql.bounds(since, until, team)
        )
        return TeamUsage(*rows)  # type: ignore[arg-type]

    def teams(self) -> list[str]:
        return [r[0] for r in self._fetch((team_sql.TEAMS,), {})[0]]

    def latest_policy(self) -> StoredPolicy | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                text("SELECT version, kid, exp, raw FROM policies ORDER BY version DESC LIMIT 1")
            ).first()
        return None if row is None else StoredPolicy(int(row[0]), row[1], int(row[2]), row[3])

    def put_policy(self, policy: StoredPolicy) -> bool:
        """Store a newer policy; False (nothing stored) when this version is not above the newest held."""
        with self._tx() as conn:
            conn.execute(text("LOCK TABLE policies IN SHARE ROW EXCLUSIVE MODE"))
            newest = conn.execute(text("SELECT max(version) FROM policies")).scalar()
            if newest is not None and policy.version <= newest:
                return False
            conn.execute(
                text("INSERT INTO policies (version, kid, exp, raw) VALUES (:v, :k, :e, :r)"),
                {"v": policy.version, "k": policy.kid, "e": policy.exp, "r": policy.raw},
            )
        return True

    def counts(self) -> dict[str, int]:
        with self._engine.connect() as conn:
            return {
                table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
                for table in ("uploads", "metrics", "events", "policies")
            }

    def ping(self) -> None:
        with self._engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()

    def health(self, min_free_bytes: int = 0) -> str | None:
        """None when a write commits, else the reason (one line). `min_free_bytes` is the database
        server's business (see the module docstring)."""
        try:
            with self._tx() as conn:
                conn.execute(
                    text("INSERT INTO health (id, at) VALUES (1, :t) ON CONFLICT (id) DO UPDATE SET at = :t"),
                    {"t": time.time()},
                )
        except SQLAlchemyError as e:
            first = str(getattr(e, "orig", None) or e).strip().splitlines()
            return f"database cannot write: {first[0] if first else type(e).__name__}"
        return None

    def close(self) -> None:
        self._engine.dispose()
