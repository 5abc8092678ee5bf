"""`symbols sourcemap lookup`: 1-based positions in and out, JSON on stdout."""

import json

from click.testing import CliRunner

from symbols.cli import main
from tests.sourcemaps.conftest import TC39

BASIC = TC39 / "resources" / "basic-mapping.js.map"


def test_lookup_prints_token_with_one_based_positions():
    result = CliRunner().invoke(main, ["sourcemap", "lookup", str(BASIC), "1", "10"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "source": "basic-mapping-original.js",
        "line": 1,
        "column": 10,
        "name": "foo",
        "source_index": 0,
        "generated_line": 1,
        "generated_column": 10,
    }


def test_lookup_of_unmapped_position_fails():
    result = CliRunner().invoke(main, ["sourcemap", "lookup", str(BASIC), "5", "1"])
    assert result.exit_code == 1
    assert "nothing maps to line 5, column 1" in result.output


def test_lookup_reports_invalid_map(tmp_path):
    broken = tmp_path / "broken.js.map"
    broken.write_text('{"version": 3, "sources": [], "mappings": "AA"}')
    result = CliRunner().invoke(main, ["sourcemap", "lookup", str(broken), "1", "1"])
    assert result.exit_code == 1
    assert "invalid_segment" in result.output
