"""The `symbols` command line: one module per command group, registered here."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="symbols")
def main() -> None:
    """symbols: a self-hostable service for JavaScript source maps."""


__all__ = ["main"]

from symbols.cli.sourcemap import sourcemap  # noqa: E402
main.add_command(sourcemap)
