"""`symbols integrations create|list` through the real command line: credentials are
encrypted with the service's secret key and never printed."""

from __future__ import annotations

import json
import os

import pytest

from tests.support.bundles import REPO
from tests.support.processes import run_symbols


@pytest.fixture
def env(tmp_path) -> dict:
    base = {k: v for k, v in os.environ.items() if not k.startswith("SYMBOLS_")}
    return base | {"SYMBOLS_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO),
                   "SYMBOLS_SECRET_KEY": "cli-test-key"}


def test_create_and_list(env, tmp_path):
    assert run_symbols(env, "migrate").returncode == 0
    assert run_symbols(env, "projects", "create", "web").returncode == 0
    secret = json.dumps({"token": "ghp_very_secret"})
    made = run_symbols(env, "integrations", "create", "--project", "1", "--kind", "github", "--display-name",
                       "Acme GitHub", "--config", json.dumps({"org": "acme"}), "--secret", secret)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "created integration 1 (github: Acme GitHub)"
    listed = run_symbols(env, "integrations", "list", "--project", "1")
    assert listed.stdout.strip().split("\t") == ["1", "github", "Acme GitHub",
                                                  '{"org":"acme","api_url":"https://api.github.com"}']
    assert b"ghp_very_secret" not in (tmp_path / "data" / "symbols.db").read_bytes()

    for args, message in [
        (("--kind", "bitbucket"), "--kind"),
        (("--kind", "github", "--config", "{}"), "config.org"),
        (("--kind", "github", "--config", "not json"), "not JSON"),
        (("--kind", "jira", "--config", "{}"), "config.site_url"),
    ]:
        proc = run_symbols(env, "integrations", "create", "--project", "1", "--display-name", "x",
                           "--secret", secret, *args)
        assert proc.returncode != 0 and message in proc.stderr, (args, proc.stderr)
    proc = run_symbols(env, "integrations", "create", "--project", "7", "--kind", "github", "--display-name", "x",
                       "--config", json.dumps({"org": "acme"}), "--secret", secret)
    assert proc.returncode == 1 and "no project 7" in proc.stderr
