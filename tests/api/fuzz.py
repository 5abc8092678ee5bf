"""Schemathesis against a running service: every operation of the served OpenAPI
document (examples, coverage, fuzzing and stateful phases), checking that no response is
a 5xx and that every response matches its documented status, media type and schema.

``run(...)`` is used by tests/api/test_schemathesis.py (few examples) and by
``make fuzz`` (``python -m tests.api.fuzz``: many examples, SQLite then a new PostgreSQL
database), which prints the run's figures.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.databases import create_pg_database, drop_pg_database
from tests.support.service import ServiceThread, seed, settings_for

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "use_after_free",
    "ensure_resource_availability",
    "ignored_auth",
)
# negative_data_rejection is left out: it negates {project_id} too, which the config pins
# to the seeded project, and then counts the (valid) request being accepted as a failure.
_ST = Path(sys.executable).with_name("st")


@dataclass
class Outcome:
    returncode: int
    output: str

    def figure(self, pattern: str) -> int:
        """A number of schemathesis' summary, e.g. ``r"(\\d+) generated"``; 0 when absent."""
        found = re.search(pattern, self.output)
        return int(found.group(1)) if found else 0

    def summary(self) -> str:
        lines = self.output.strip().splitlines()
        start = next((i for i, line in enumerate(lines) if "SUMMARY" in line), len(lines))
        return "\n".join(lines[start:])


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
    # cwd: schemathesis keeps its example database (.schemathesis/) there, not in the repo.
    proc = subprocess.run(
        command, check=False, capture_output=True, text=True, env=env, timeout=3600, cwd=work
    )
    return Outcome(proc.returncode, proc.stdout + proc.stderr)


def run(work: Path, *, database_url: str | None = None, **kwargs) -> Outcome:
    """A fresh service (SQLite under ``work``, or ``database_url``) fuzzed end to end."""
    overrides = {"database_url": database_url} if database_url else {}
    settings = settings_for(work / "data", **overrides)
    project, _, token, _, _ = asyncio.run(seed(settings))
    # The service's errors (a 500's stack trace) go to work/service.log.
    log = logging.FileHandler(work / "service.log")
    log.setLevel(logging.ERROR)
    logging.getLogger().addHandler(log)
    service = ServiceThread(settings)
    url = service.start()
    try:
        return run_against(url, project, token, work, **kwargs)
    finally:
        service.stop()
        logging.getLogger().removeHandler(log)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    args = parser.parse_args()
    status = 0
    for kind in ["sqlite"] + ([] if args.no_postgresql else ["postgresql"]):
        database_url = create_pg_database() if kind == "postgresql" else None
        try:
            with tempfile.TemporaryDirectory() as tmp:
                outcome = run(Path(tmp), database_url=database_url, max_examples=args.max_examples,
                              seed_value=args.seed)
        finally:
            if database_url:
                drop_pg_database(database_url)
        print(f"== {kind}: exit {outcome.returncode}")
        print(outcome.output if outcome.returncode else outcome.summary(), flush=True)
        status = status or outcome.returncode
    sys.exit(status)


if __name__ == "__main__":
    main()
