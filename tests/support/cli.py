"""The `symbols` command run in process, with none of the client's settings inherited."""

from __future__ import annotations

from click.testing import CliRunner, Result

from symbols.cli import main

CLEAN_ENV = {k: "" for k in (
    "SYMBOLS_HOST", "SYMBOLS_PROJECT", "SYMBOLS_TOKEN",
    "POSTHOG_CLI_HOST", "POSTHOG_CLI_ENV_ID", "POSTHOG_CLI_TOKEN",
)}


def run_cli(*args: str, env: dict | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={**CLEAN_ENV, **(env or {})}, input=input)
