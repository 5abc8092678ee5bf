from pathlib import Path

import pytest

from symbols.sourcemaps import decoder as decoder_module

# Vendored from tc39/source-map-tests (BSD licence in its LICENSE.md, commit in UPSTREAM_COMMIT.txt).
TC39 = Path(__file__).resolve().parents[1] / "fixtures" / "tc39-source-map-tests"


class _Bundle:
    """A terser-minified fixture bundle: its directory, JavaScript, map and original source."""

    def __init__(self, directory: Path, stem: str) -> None:
        self.dir = directory
        self.js = directory / f"{stem}.min.js"
        self.map = directory / f"{stem}.min.js.map"
        self.original = directory / "src" / f"{stem}.js"


TERSER = _Bundle(Path(__file__).resolve().parent / "fixtures" / "terser", "shop")


IMPLEMENTATIONS = ("numpy", "c")


@pytest.fixture(scope="module", params=IMPLEMENTATIONS)
def mappings_decoder(request):
    """Run a module's tests over both `mappings` decoders: numpy alone, and the C one
    (`_mappings.c`, which hands every fault back to numpy to name).

    Module-scoped (set and restored by hand, not with `monkeypatch`) so that hypothesis
    tests may use it.
    """
    saved = decoder_module.accelerator
    if request.param == "c" and saved is None:
        pytest.skip("the C `mappings` decoder (symbols/sourcemaps/_mappings.c) is not built")
    decoder_module.accelerator = saved if request.param == "c" else None
    yield request.param
    decoder_module.accelerator = saved
