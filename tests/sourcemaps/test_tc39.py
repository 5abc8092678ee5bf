"""The TC39 source map conformance suite, every case (positions are 0-based)."""

import json

import pytest

from symbols.sourcemaps import SourceMapError, parse_source_map
from tests.support.bundles import TC39

SPEC = TC39 / "source-map-spec-tests.json"
pytestmark = pytest.mark.usefixtures("mappings_decoder")  # numpy alone, and the C decoder
CASES = json.loads(SPEC.read_text())["tests"] if SPEC.exists() else []


def resources(name: str) -> bytes:
    return (TC39 / "resources" / name).read_bytes()


def original_of(token):
    if token is None:
        return None, None, None, None
    return token.source, token.line, token.column, token.name


def test_suite_is_present():
    assert len(CASES) == 99, f"expected the 99 TC39 cases in {SPEC}"


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_tc39_case(case):
    data = resources(case["sourceMapFile"])
    if not case["sourceMapIsValid"]:
        with pytest.raises(SourceMapError) as raised:
            parse_source_map(data)
        assert raised.value.code != "invalid_source_map" and raised.value.message
        return
    source_map = parse_source_map(data)
    for action in case.get("testActions", []):
        kind = action["actionType"]
        expected = (action.get("originalSource"), action.get("originalLine"),
                    action.get("originalColumn"), action.get("mappedName"))
        if kind == "checkMapping":
            token = source_map.lookup(action["generatedLine"], action["generatedColumn"])
            assert original_of(token) == expected, action
        elif kind == "checkMappingTransitive":
            token = source_map.lookup(action["generatedLine"], action["generatedColumn"])
            for intermediate in action["intermediateMaps"]:
                assert token is not None, action
                token = parse_source_map(resources(intermediate)).lookup(token.line, token.column)
            assert original_of(token)[:3] == expected[:3], action
        elif kind == "checkIgnoreList":
            ignored = [s for i, s in enumerate(source_map.sources) if source_map.is_ignored(i)]
            assert ignored == action["present"]
        else:
            pytest.fail(f"unknown action {kind}")
