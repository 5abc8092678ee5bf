"""The house rules in pyproject.toml's import-linter contracts: a wrong import fails the suite."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"]
    env = os.environ | {"PYTHONPATH": str(root)}
    return subprocess.run(command, check=False, cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_import_contracts_hold() -> None:
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_wrong_import_is_caught(tmp_path: Path) -> None:
    """The contracts bite: in a copy of the package whose engine imports the API, one breaks."""
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "symbols", copy / "symbols", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    engine = copy / "symbols" / "sourcemaps" / "urls.py"
    engine.write_text(engine.read_text() + "\nimport symbols.api  # noqa: E402,F401\n")
    result = _lint_imports(copy)
    assert result.returncode != 0
    assert "The engine imports nothing of the project BROKEN" in result.stdout
