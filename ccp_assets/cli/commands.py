"""Registers every sub-command on the root app (each lives in its own module)."""

from __future__ import annotations

import typer

from ccp_assets.cli.main import app
from ccp_assets.cli.materialize_cmd import materialize
from ccp_assets.cli.report_cmd import report_app

app.command("materialize")(materialize)
app.add_typer(report_app, name="report")

schemas_app = typer.Typer(no_args_is_help=True, help="The unified model's JSON Schemas (schemas/v1).")
app.add_typer(schemas_app, name="schemas")


@schemas_app.command("write")
def schemas_write() -> None:
    """Regenerate schemas/v1, schemas/warehouse and schemas/expectations from the contract (model/)."""
    from ccp_assets.checks.suites import write_suites
    from ccp_assets.model.schemas import write_schemas, write_table_schemas

    for path in [*write_schemas(), *write_table_schemas(), *write_suites()]:
        typer.echo(str(path))


def _register_domain_commands() -> None:
    from ccp_assets.cli.aggregator_cmd import register as register_aggregator
    from ccp_assets.cli.demo_cmd import register as register_demo
    from ccp_assets.cli.license_cmd import register as register_license
    from ccp_assets.cli.upload_cmd import register as register_upload

    register_license(app)
    register_demo(app)
    register_aggregator(app)
    register_upload(app)


_register_domain_commands()
