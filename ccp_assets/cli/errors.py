"""One error path for the whole CLI (INTERFACES.md "Errors and exit codes").

API for every command module:
- `raise ConfigError(name, value, fix)` (re-exported from ccp_assets.settings) for a bad setting or
  argument: printed as one line `error: NAME=VALUE: fix`, exit 2.
- `fail(message, code=2)` for any other one-line refusal (code 1 for work that failed).
- `run(app)` wraps the Typer app: it turns both into one stderr line and the exit code, never a traceback.
"""

from __future__ import annotations

import sys
from typing import NoReturn

from ccp_assets.settings import ConfigError

__all__ = ["CliError", "ConfigError", "fail", "run"]


class CliError(Exception):
    """A refusal with a one-line message and an exit code (2: the user's input; 1: the work failed)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> NoReturn:
    raise CliError(message, code)


def run(app) -> None:  # noqa: ANN001 - a typer.Typer; typed loosely to keep this module import-light
    """Call the app; ConfigError and CliError become `error: ...` on stderr and their exit code."""
    try:
        app()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(exc.code)
