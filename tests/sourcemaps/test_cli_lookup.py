"""`symbols sourcemap lookup`: 1-based positions in and out, JSON on stdout."""

import json

from click.testing import CliRunner

from symbols.cli import main
from tests.support.bundles import TC39

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


def test_lookup_with_source_prints_the_enclosing_function():
    from tests.support.bundles import TERSER

    text = TERSER.js.read_text(encoding="utf-8").split("\n")[0]
    at = text.index("return n(this.item")  # inside PriceCalculator.compute, calling applyDiscount
    column = len(text[:at].encode("utf-16-le")) // 2 + 8  # on `n`, 1-based
    result = CliRunner().invoke(main, ["sourcemap", "lookup", str(TERSER.map), "1", str(column),
                                       "--source", str(TERSER.js)])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["function"] == "PriceCalculator.compute"
    assert printed["name"] == "applyDiscount"  # the token names the callee, not the function
    assert printed["source"] == "shop.js" and printed["line"] == 31


def test_lookup_without_source_prints_no_function():
    result = CliRunner().invoke(main, ["sourcemap", "lookup", str(BASIC), "1", "10"])
    assert "function" not in json.loads(result.output)
