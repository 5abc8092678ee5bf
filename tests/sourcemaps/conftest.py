from pathlib import Path

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"
TC39 = TESTDATA / "tc39-source-map-tests"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "js"


class _Bundle:
    """A terser-minified fixture bundle: its directory, JavaScript, map and original source."""

    def __init__(self, directory: Path, stem: str) -> None:
        self.dir = directory
        self.js = directory / f"{stem}.min.js"
        self.map = directory / f"{stem}.min.js.map"
        self.original = directory / "src" / f"{stem}.js"


TERSER = _Bundle(Path(__file__).resolve().parent / "fixtures" / "terser", "shop")
