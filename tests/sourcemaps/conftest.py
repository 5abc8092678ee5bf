from pathlib import Path

TESTDATA = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"
TC39 = TESTDATA / "tc39-source-map-tests"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "js"
