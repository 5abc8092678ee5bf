"""Schemathesis against a running service: every operation of the served OpenAPI
document (examples, coverage, fuzzing and stateful phases), checking that no response is
a 5xx and that every response matches its documented status, media type and schema.

``run(...)`` is used by tests/api/test_schemathesis.py (few examples) and by
``make fuzz`` (``python -m tests.api.fuzz``: many examples, SQLite then PostgreSQL),
which prints the run's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.cli.service import ServiceThread, seed, settings_for

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
)
_ST = Path(sys.executable).with_name("st")


@dataclass
class Outcome:
    returncode: int
    output: str
    report: dict

    def figures(self) -> str:
        return self.output.strip().splitlines()[-1] if self.output.strip() else ""


def _config(path: Path, project_id: str, token: str, max_examples: int) -> None:
    path.write_text(
        f'[parameters]\n"path.project_id" = "{project_id}"\n\n'
        f'[auth.openapi.PersonalAPIKey]\nbearer = "{token}"\n\n'
        f"[generation]\nmax-examples = {max_examples}\n"
    )


def run_against(url: str, project_id: str, token: str, work: Path, *, max_examples: int,
                seed_value: int | None = None, phases: str = "examples,coverage,fuzzing,stateful",
                workers: int = 1) -> Outcome:
    config = work / "schemathesis.toml"
    _config(config, project_id, token, max_examples)
    report_dir = work / "report"
    command = [
        str(_ST), "--config-file", str(config), "run", f"{url}/api/schema/?format=json",
        "--url", url, "--checks", ",".join(CHECKS), "--phases", phases, "--workers", str(workers),
        "--report", "ndjson", "--report-dir", str(report_dir), "--no-color",
        "--suppress-health-check", "too_slow,filter_too_much",
    ]
    if seed_value is not None:
        command += ["--seed", str(seed_value)]
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=3600)
    return Outcome(proc.returncode, proc.stdout + proc.stderr, {})


def run(work: Path, *, database_url: str | None = None, **kwargs) -> Outcome:
    """A fresh service (SQLite under ``work``, or ``database_url``) fuzzed end to end."""
    overrides = {"database_url": database_url} if database_url else {}
    settings = settings_for(work / "data", **overrides)
    project, _, token, _, _ = asyncio.run(seed(settings))
    service = ServiceThread(settings)
    url = service.start()
    try:
        return run_against(url, project, token, work, **kwargs)
    finally:
        service.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--database-url", action="append", default=[],
                        help="also run on this database (e.g. a fresh PostgreSQL database)")
    args = parser.parse_args()
    status = 0
    for database_url in [None, *args.database_url]:
        with tempfile.TemporaryDirectory() as tmp:
            outcome = run(Path(tmp), database_url=database_url, max_examples=args.max_examples)
        print(f"== {database_url or 'sqlite'}: exit {outcome.returncode}")
        print(outcome.output)
        status = status or outcome.returncode
    sys.exit(status)


if __name__ == "__main__":
    main()
