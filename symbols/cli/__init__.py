"""The `symbols` command line: one module per command group, registered here."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="symbols")
def main() -> None:
    """symbols: a self-hostable service for JavaScript source maps."""


__all__ = ["main"]

# Registered after `main` exists; each module defines one command or group.
from symbols.cli.jobs import jobs  # noqa: E402
from symbols.cli.keys import keys  # noqa: E402
from symbols.cli.migrate import migrate  # noqa: E402
from symbols.cli.projects import projects  # noqa: E402
from symbols.cli.resolve import resolve  # noqa: E402
from symbols.cli.serve import serve  # noqa: E402
from symbols.cli.sourcemap import sourcemap  # noqa: E402
from symbols.cli.worker import worker  # noqa: E402

main.add_command(serve)
main.add_command(migrate)
main.add_command(projects)
main.add_command(keys)
main.add_command(sourcemap)
main.add_command(worker)
main.add_command(jobs)
main.add_command(resolve)
