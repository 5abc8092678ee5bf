"""The `symbols` command line: one module per command or group, registered here."""

from __future__ import annotations

import click

from symbols.cli.integrations import integrations
from symbols.cli.jobs import jobs
from symbols.cli.keys import keys
from symbols.cli.migrate import migrate
from symbols.cli.projects import projects
from symbols.cli.resolve import resolve
from symbols.cli.serve import serve
from symbols.cli.sourcemap import sourcemap
from symbols.cli.users import roles, users
from symbols.cli.worker import worker
from symbols.config import ConfigError
from symbols.db import DatabaseUnavailable


class _Commands(click.Group):
    """Settings and database faults end a command with one readable line, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ConfigError, DatabaseUnavailable) as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Commands)
@click.version_option(package_name="symbols")
def main() -> None:
    """symbols: a self-hostable service for JavaScript source maps."""


for command in (serve, worker, migrate, projects, keys, users, roles, integrations, jobs, sourcemap, resolve):
    main.add_command(command)

__all__ = ["main"]
