"""The lz-string decoder against the npm ``lz-string`` package's own output."""

from __future__ import annotations

import json
import random
from urllib.parse import urlencode

import pytest

from symbols.errortracking.capture import CaptureError, decode_capture
from symbols.errortracking.lzstring import LZStringError, LZStringTooLarge, decompress_from_base64
from tests.support.npm import npm_package, run_node

_COMPRESS = """
const lz = require('lz-string');
const inputs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(inputs.map((s) => lz.compressToBase64(s))));
"""


def _inputs() -> list[str]:
    rng = random.Random(7)
    alphabet = "ab{}\":,[] 0123456789éß☃😀\u2028\x00\x7f"
    made = ["", "a", "aaaa", "hello world", "héllo wörld ☃", "😀🎉 emoji and text"]
    made.append(json.dumps([{"event": "$exception", "properties": {"$exception_list": [
        {"type": "TypeError", "value": "x is undefined" * 20}]}}] * 30))
    made.append("abcabcabcabcabc" * 500)
    made += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 400))) for _ in range(150)]
    return made


@pytest.fixture(scope="module")
def lz_home():
    return npm_package("lz-string", "1.5.0")


def test_decodes_what_npm_lz_string_packs(lz_home):
    inputs = _inputs()
    packed = json.loads(run_node(_COMPRESS, lz_home, stdin=json.dumps(inputs)))
    for text, data in zip(inputs, packed, strict=True):
        assert decompress_from_base64(data, 10**6) == text


def test_output_is_bounded(lz_home):
    out = run_node("process.stdout.write(require('lz-string').compressToBase64('A'.repeat(1000000)))", lz_home)
    assert len(out) < 20_000
    assert decompress_from_base64(out, 1_000_000) == "A" * 1_000_000
    with pytest.raises(LZStringTooLarge):
        decompress_from_base64(out, 999_999)


@pytest.mark.parametrize("junk", ["", "***", "AAAA", "////////"])
def test_junk_is_refused(junk):
    with pytest.raises(LZStringError):
        decompress_from_base64(junk, 1000)


def test_capture_reads_lz64_bodies_by_query_and_form_field(lz_home):
    events = [{"event": "$exception", "distinct_id": "u1", "properties": {"token": "phc_x", "s": "☃"}}]
    packed = json.loads(run_node(_COMPRESS, lz_home, stdin=json.dumps([json.dumps(events)])))[0]
    for query in ({"compression": "lz64"}, {"compression": "lz-string"}):
        batch = decode_capture(packed.encode(), "text/plain", query, "/e/")
        assert (batch.token, batch.events[0].properties["s"]) == ("phc_x", "☃")
    form = urlencode({"data": packed, "compression": "lz64"}).encode()
    batch = decode_capture(form, "application/x-www-form-urlencoded", {}, "/e/")
    assert batch.events[0].distinct_id == "u1"
    with pytest.raises(CaptureError) as info:
        decode_capture(b"***", "text/plain", {"compression": "lz64"}, "/e/")
    assert (info.value.status, info.value.code) == (400, "invalid_payload")
