"""The `ccp` command line (INTERFACES.md). Each sub-command lives in its own module."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="ccp-assets: what AI coding agents cost and deliver.")




def main() -> None:
    """Entry point: register sub-commands (their modules import heavy libraries lazily), then run."""
    from ccp_assets.cli import commands  # noqa: F401  (registers materialize, report, license, ...)

    app()


if __name__ == "__main__":
    main()
