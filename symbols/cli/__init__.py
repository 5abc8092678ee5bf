"""The `symbols` command line: one module per command or group, registered here.

Command modules are imported only when their command runs, so `symbols --help` starts
without the service's libraries (aiohttp, SQLAlchemy, numpy, boto3) or the settings
module; `symbols --version` is answered before this package loads (``symbols.__main__``).
"""

from __future__ import annotations

import importlib
import sys

import click

from symbols import __version__

# name -> (module under symbols.cli, attribute, the line --help shows), in --help's order.
_COMMANDS = {
    "serve": ("serve", "serve", "Serve the HTTP API (migrates and bootstraps first)."),
    "worker": ("worker", "worker", "Run background jobs and the error-tracking pipeline."),
    "migrate": ("migrate", "migrate", "Apply database migrations (SYMBOLS_DATABASE_URL)."),
    "projects": ("projects", "projects", "Manage projects."),
    "keys": ("keys", "keys", "Manage personal API keys."),
    "users": ("users", "users", "Manage users (assignees)."),
    "roles": ("users", "roles", "Manage roles (assignees)."),
    "integrations": ("integrations", "integrations", "Manage integrations (issue trackers)."),
    "jobs": ("jobs", "jobs", "Inspect background jobs."),
    "sets": ("sets", "sets", "Browse symbol sets (uploaded source maps)."),
    "sourcemap": ("sourcemap", "sourcemap", "Inject, upload and look up JavaScript source maps."),
    "resolve": ("resolve", "resolve", "Resolve a pasted stack trace through the service."),
}


def _readable_errors() -> tuple[type[Exception], ...]:
    # A settings or database fault can only come from a loaded symbols.config or symbols.db.
    config, db = sys.modules.get("symbols.config"), sys.modules.get("symbols.db")
    return (*((config.ConfigError,) if config else ()), *((db.DatabaseUnavailable,) if db else ()))


class _Commands(click.Group):
    """Commands loaded on first use; settings and database faults end a command with one
    readable line, not a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _COMMANDS:
            return None
        module, attribute, _ = _COMMANDS[cmd_name]
        return getattr(importlib.import_module(f"symbols.cli.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # From the table: listing the commands loads none of them.
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_) for name, (_, _, help_) in _COMMANDS.items()])

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if isinstance(exc, _readable_errors()):
                raise click.ClickException(str(exc)) from None
            raise


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="symbols")
def main() -> None:
    """symbols: a self-hostable service for JavaScript source maps."""


__all__ = ["main"]
