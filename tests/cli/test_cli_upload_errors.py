"""`symbols sourcemap upload`: the mistakes that need no running service."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from symbols.cli import main
from tests.support.cli import run_cli
from tests.support.net import free_port


def upload(*args: str, env: dict | None = None):
    return run_cli("sourcemap", "upload", *args, env=env)


def test_nothing_to_upload_before_inject(build_dir: Path) -> None:
    result = upload("-d", str(build_dir), "--project", "1", "--token", "k")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Error: nothing to upload in {build_dir}: 6 script/map pair(s), none injected; "
        f"run `symbols sourcemap inject --directory {build_dir}` first"
    )


def test_nothing_to_upload_in_an_empty_folder(tmp_path: Path) -> None:
    result = upload("-d", str(tmp_path), "--project", "1", "--token", "k")
    assert result.exit_code == 1
    assert "nothing to upload" in result.stderr and "no script/map pairs" in result.stderr


def test_missing_project_and_token_are_usage_errors(build_dir: Path) -> None:
    result = upload("-d", str(build_dir), "--token", "k")
    assert result.exit_code == 2 and "no project: pass --project or set SYMBOLS_PROJECT" in result.stderr
    result = upload("-d", str(build_dir), env={"POSTHOG_CLI_ENV_ID": "3"})
    assert result.exit_code == 2 and "no API key: pass --token or set SYMBOLS_TOKEN" in result.stderr
    result = upload("-d", str(build_dir), "--project", "1", "--token", "k", "--release-name", "x")
    assert result.exit_code == 2 and "--release-name and --release-version go together" in result.stderr


def test_wrong_host_is_one_clear_line(build_dir: Path) -> None:
    assert CliRunner().invoke(main, ["sourcemap", "inject", "-d", str(build_dir)]).exit_code == 0
    port = free_port()
    result = upload("-d", str(build_dir), env={
        "SYMBOLS_HOST": f"http://127.0.0.1:{port}", "SYMBOLS_PROJECT": "1", "SYMBOLS_TOKEN": "k",
    })
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: cannot reach http://127.0.0.1:{port}: ")
    assert "refused" in lines[0].lower()
    # The maps are still there: nothing was deleted or changed.
    assert (build_dir / "cli.cjs.map").exists()
