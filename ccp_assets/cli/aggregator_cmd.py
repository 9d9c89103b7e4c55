"""`ccp aggregator serve`: run the reference metrics aggregator (ccp_assets.aggregator) under uvicorn.

Configuration comes from the environment (defaults and details: ccp_assets/aggregator/config.py); the flags
--db and --policy override it. Logs go to stderr.
    CCP_AGGREGATOR_DB (default $CCP_HOME/aggregator.sqlite), CCP_AGGREGATOR_TRUSTED_KEYS (default
    CCP_TRUSTED_KEYS; built-in keys always trusted), CCP_AGGREGATOR_REVOCATIONS, CCP_AGGREGATOR_POLICY,
    CCP_AGGREGATOR_OPERATOR_TOKEN, CCP_AGGREGATOR_MAX_BODY_BYTES, CCP_AGGREGATOR_MAX_DECOMPRESSED_BYTES,
    CCP_AGGREGATOR_MAX_EVENTS, CCP_AGGREGATOR_RATE_PER_S, CCP_AGGREGATOR_RATE_BURST,
    CCP_AGGREGATOR_TRUSTED_PROXIES, CCP_AGGREGATOR_MAX_HEADER_BYTES, CCP_AGGREGATOR_HEADER_TIMEOUT_S,
    CCP_AGGREGATOR_BODY_TIMEOUT_S,
    CCP_AGGREGATOR_BODY_IDLE_TIMEOUT_S, CCP_AGGREGATOR_MIN_FREE_BYTES, CCP_AGGREGATOR_QUOTA_BYTES, and the
    issuer's CCP_ISSUER_KEY + CCP_ISSUER_INVITES (+ CCP_ISSUER_KID, CCP_ISSUER_OPERATOR_TOKEN).
The server runs with the limits of ccp_assets/aggregator/server.py (header cap, no proxy headers unless
CCP_AGGREGATOR_TRUSTED_PROXIES names the proxy).
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import typer

aggregator_app = typer.Typer(
    no_args_is_help=True, add_completion=False, help="The reference metrics aggregator (the SaaS side)."
)


def register(app: typer.Typer) -> None:
    """Attach `ccp aggregator ...` to the root app."""
    app.add_typer(aggregator_app, name="aggregator")


@aggregator_app.callback()
def _group() -> None:
    """The reference metrics aggregator (the SaaS side)."""


@aggregator_app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8787, min=0, max=65535, help="TCP port."),
    db: str | None = typer.Option(
        None,
        help="SQLite file or postgresql:// URL (default: CCP_AGGREGATOR_DB or $CCP_HOME/aggregator.sqlite).",
    ),
    policy: Path | None = typer.Option(
        None, help="Signed policy pack to serve (default: CCP_AGGREGATOR_POLICY)."
    ),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Serve the aggregator HTTP API until interrupted (environment: CCP_AGGREGATOR_*, CCP_ISSUER_*)."""
    import uvicorn
    from pydantic import ValidationError

    from ccp_assets.aggregator.app import create_app
    from ccp_assets.aggregator.config import AggregatorConfig
    from ccp_assets.aggregator.server import server_config
    from ccp_assets.aggregator.storage import is_postgres_url
    from ccp_assets.licensing import LicenseError

    try:
        logging.basicConfig(
            stream=sys.stderr, level=log_level.upper(), format="%(asctime)s %(name)s %(message)s"
        )
        url = db if db and is_postgres_url(db) else None
        config = AggregatorConfig.from_env(
            db_path=Path(db).expanduser().resolve() if db and not url else None,
            db_url=url,
            policy_file=policy.expanduser().resolve() if policy else None,
        )
        app = create_app(config)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        typer.echo(f"aggregator: configuration error: {where}: {first['msg']}", err=True)
        raise typer.Exit(2) from None
    except (LicenseError, ValueError, OSError) as e:
        typer.echo(f"aggregator: configuration error: {str(e).splitlines()[0]}", err=True)
        raise typer.Exit(2) from None
    # A file-size limit (ulimit -f) reached while writing the database must be an error the store reports
    # (503 on uploads and /healthz), not SIGXFSZ's default action of killing the server.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    typer.echo(f"aggregator: database {config.db_path}; listening on http://{host}:{port}", err=True)
    try:
        uvicorn.Server(server_config(app, host=host, port=port, log_level=log_level.lower())).run()
    finally:
        app.state.store.close()  # checkpoints the WAL into the database file
