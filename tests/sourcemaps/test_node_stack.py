"""A real stack trace: the terser bundle throws under Node; every frame maps back."""

import re
import shutil
import subprocess

import pytest

from symbols.sourcemaps import load_index, parse_source_map
from tests.support.bundles import TERSER

NODE = shutil.which("node")
FRAME = re.compile(r"^\s*at (?:(?P<callee>.+?) \()?(?P<file>[^()\s]+):(?P<line>\d+):(?P<column>\d+)\)?$")

# Innermost first: the function each frame is in, and text of the original line it maps to.
EXPECTED = [
    ("applyDiscount", 'throw new Error("negative price for "'),
    ("PriceCalculator.compute", "return applyDiscount(this.item"),
    ("ShoppingCart.total", "new PriceCalculator(item, this.currency).compute()"),
    ("<anonymous>", "return ShoppingCart.total(item);"),
    ("shop.cart.checkout", "return items.map(function (item) {"),
]


@pytest.fixture(scope="module")
def frames():
    if NODE is None:
        pytest.skip("node is not installed: cannot run the fixture bundle to get a real stack trace")
    done = subprocess.run([NODE, "run.js"], cwd=TERSER.dir, capture_output=True, text=True,
                          timeout=100, check=False)
    assert done.returncode == 0, done.stderr
    stack = done.stdout
    assert stack.startswith("Error: negative price for broken"), stack
    found = []
    for text in stack.splitlines()[1:]:
        match = FRAME.match(text)
        if match and match["file"].endswith("/shop.min.js"):
            found.append((match["callee"], int(match["line"]), int(match["column"])))
    return found


@pytest.fixture(scope="module", params=["parsed", "loaded index"])
def source_map(request):
    parsed = parse_source_map(TERSER.map.read_bytes(), minified_source=TERSER.js.read_bytes())
    return parsed if request.param == "parsed" else load_index(parsed.to_index_bytes())


def test_frames_name_the_enclosing_original_functions(frames, source_map):
    assert len(frames) == len(EXPECTED), frames
    # V8 prints 1-based lines and columns (UTF-16 units); the engine takes 0-based ones.
    names = [source_map.function_name(line - 1, column - 1) for _, line, column in frames]
    assert names == [name for name, _ in EXPECTED]
    # What V8 itself calls them is minified (`n`, `c.compute`, `t.cart.checkout`, ...).
    assert frames[0][0] != "applyDiscount"


def test_frames_map_to_the_original_lines(frames, source_map):
    original = TERSER.original.read_text(encoding="utf-8").split("\n")
    for (_, line, column), (_, text) in zip(frames, EXPECTED):
        token = source_map.lookup(line - 1, column - 1)
        assert token is not None and token.source == "shop.js"
        assert text in original[token.line], (token, original[token.line])
