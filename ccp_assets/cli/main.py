"""The `ccp` command line (INTERFACES.md). Each sub-command lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="ccp-assets: what AI coding agents cost and deliver.")

# Commands that read the configured sources: a source folder that does not exist is a mistake there.
READS_SOURCES = {"materialize", "report"}


@app.callback()
def _configuration(ctx: typer.Context) -> None:
    """Validate the whole configuration once, before any command runs (one line and exit 2 if wrong)."""
    from ccp_assets.settings import load_settings

    settings = load_settings()
    if ctx.invoked_subcommand in READS_SOURCES:
        settings.require_sources()


def main() -> None:
    """Entry point: register sub-commands (their modules import heavy libraries lazily), then run."""
    from ccp_assets.cli import commands  # noqa: F401  (registers materialize, report, license, ...)
    from ccp_assets.cli.errors import run

    run(app)


if __name__ == "__main__":
    main()
