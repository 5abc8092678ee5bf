"""The pre-processing stage: checks, legacy forms, value cuts, exception ids, frames, raw ids."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid

from symbols.errortracking import preprocess as pre
from symbols.errortracking.preprocess import preprocess

URL = "https://app.example.com/static/app.min.js"


def js_frame(**extra) -> dict:
    return {"platform": "web:javascript", "filename": URL, "function": "a", "lineno": 1,
            "colno": 345, "in_app": True, **extra}


def exc(**extra) -> dict:
    return {"type": "TypeError", "value": "x is undefined",
            "stacktrace": {"type": "raw", "frames": [js_frame()]}, **extra}


def sha512(*parts: bytes) -> str:
    return hashlib.sha512(b"".join(parts)).hexdigest()


def test_other_events_pass_through_untouched():
    props = {"a": 1, "$exception_list": "whatever"}
    got = preprocess("$pageview", props)
    assert got.exceptions is None and got.properties == props and got.properties is not props


def test_exception_events_without_a_usable_list_keep_their_properties_and_get_an_error():
    assert preprocess("$exception", {"a": 1}) == (
        {"a": 1, "$cymbal_errors": ["$exception_list is missing or not a list"]}, None)
    got = preprocess("$exception", {"$exception_list": [], "$cymbal_errors": ["earlier"]})
    assert got.properties["$cymbal_errors"] == ["earlier", "$exception_list is empty"]
    for bad, why in [
        ([1], "an exception in $exception_list is not an object"),
        ([{"value": "no type"}], "an exception in $exception_list has no string type"),
        ([exc(stacktrace={"frames": "no"})], "an exception's stacktrace is not an object with a list of frames"),
    ]:
        got = preprocess("$exception", {"$exception_list": bad})
        assert got.exceptions is None
        assert got.properties == {"$exception_list": bad, "$cymbal_errors": [why]}


def test_values_cut_ids_given_and_input_left_alone():
    props = {"$exception_list": [exc(value="v" * 10_001, id="client"), exc(value="w" * 10_000),
                                 {"type": "E", "value": {"not": "text"}}], "other": [1]}
    before = copy.deepcopy(props)
    got = preprocess("$exception", props)
    assert props == before
    first, second, third = got.exceptions
    assert first["value"] == "v" * 10_000 + "..."
    assert second["value"] == "w" * 10_000
    assert third["value"] == '{"not":"text"}' and "stacktrace" not in third
    ids = [uuid.UUID(e["id"]) for e in got.exceptions]
    assert len(set(ids)) == 3 and all(i.version == 7 for i in ids)
    assert got.properties["$exception_list"] is got.exceptions and got.properties["other"] == [1]
    assert "$cymbal_errors" not in got.properties


def test_frames_are_normalised():
    frames = [
        {"filename": URL, "function": "b", "lineno": "12", "colno": 0, "chunkId": "c-1", "raw_id": "x"},
        {"platform": "javascript", "filename": URL, "lineno": True, "colno": -3, "in_app": False},
        {"platform": "node:javascript", "filename": "/srv/app.js", "function": "c", "lineno": 3,
         "colno": 9, "chunk_id": "c-2", "in_app": "yes"},
        "not a frame",
    ]
    got = preprocess("$exception", {"$exception_list": [exc(stacktrace={"type": "raw", "frames": frames})]})
    one, two, three = got.exceptions[0]["stacktrace"]["frames"]
    assert (one["platform"], one["lineno"], one["colno"], one["chunk_id"], one["in_app"]) == (
        "web:javascript", 12, None, "c-1", True)
    assert "chunkId" not in one
    assert (two["platform"], two["function"], two["lineno"], two["colno"], two["in_app"]) == (
        "web:javascript", "?", None, None, False)
    assert (three["platform"], three["chunk_id"], three["in_app"]) == ("node:javascript", "c-2", True)
    assert got.exceptions[0]["stacktrace"]["type"] == "raw"


def test_raw_ids_follow_cymbal_per_platform():
    python = {"platform": "python", "filename": "app/views.py", "function": "index", "lineno": 42,
              "module": "app.views", "context_line": "    raise ValueError()",
              "pre_context": ["def index():"], "post_context": ["", "x = 1"]}
    custom = {"platform": "custom", "lang": "elixir", "filename": "lib/a.ex", "function": "A.run/2",
              "lineno": 7, "colno": 2, "resolved": True}
    no_position = js_frame(lineno=None, colno=None, filename=None)
    stack = {"frames": [js_frame(), python, custom, no_position]}
    frames = preprocess("$exception", {"$exception_list": [exc(stacktrace=stack)]}).exceptions[0][
        "stacktrace"]["frames"]
    assert frames[0]["raw_id"] == sha512(b"a", b"1", b"345", URL.encode())
    assert frames[1]["raw_id"] == sha512(b"    raise ValueError()", b"app/views.py", b"index",
                                         (42).to_bytes(4, "big"), b"app.views", b"def index():", b"",
                                         b"x = 1")
    assert frames[2]["raw_id"] == sha512(b"lib/a.ex", b"A.run/2", (7).to_bytes(4, "big"),
                                         (2).to_bytes(4, "big"), b"elixir", b"true")
    assert frames[3]["raw_id"] == sha512(b"a")
    assert all(len(f["raw_id"]) == 128 for f in frames)
    again = preprocess("$exception", {"$exception_list": [exc(stacktrace=stack)]}).exceptions[0]
    assert [f["raw_id"] for f in again["stacktrace"]["frames"]] == [f["raw_id"] for f in frames]


def test_deep_stacks_keep_the_innermost_frames(monkeypatch):
    monkeypatch.setattr(pre, "MAX_FRAMES", 2)
    frames = [js_frame(function=f"f{i}") for i in range(5)]
    got = preprocess("$exception", {"$exception_list": [exc(stacktrace={"frames": frames})]})
    assert [f["function"] for f in got.exceptions[0]["stacktrace"]["frames"]] == ["f3", "f4"]


def test_legacy_flat_form_with_json_frames():
    frames = [{"filename": URL, "function": "a", "lineno": 1, "colno": 10}]
    got = preprocess("$exception", {"$exception_type": "RangeError", "$exception_message": "too deep",
                                    "$exception_stack_trace_raw": json.dumps(frames), "keep": 1})
    (one,) = got.exceptions
    assert (one["type"], one["value"]) == ("RangeError", "too deep")
    assert one["stacktrace"]["frames"][0]["raw_id"] == sha512(b"a", b"1", b"10", URL.encode())
    assert got.properties["keep"] == 1 and got.properties["$exception_type"] == "RangeError"


def test_legacy_flat_form_with_a_printed_trace():
    trace = (f"TypeError: Cannot read properties of undefined (reading 'x')\n"
             f"    at inner ({URL}:1:200)\n    at outer ({URL}:1:900)\n    at {URL}:2:5")
    (one,) = preprocess("$exception", {"$exception_stack_trace_raw": trace}).exceptions
    assert (one["type"], one["value"]) == ("TypeError", "Cannot read properties of undefined (reading 'x')")
    frames = one["stacktrace"]["frames"]
    assert [(f["function"], f["lineno"], f["colno"]) for f in frames] == [
        ("?", 2, 5), ("outer", 1, 900), ("inner", 1, 200)]  # innermost last, as SDKs send
    assert {f["platform"] for f in frames} == {"web:javascript"}
    (two,) = preprocess("$exception", {"$exception_type": "Mine", "$exception_message": "m",
                                       "$exception_stack_trace_raw": trace}).exceptions
    assert (two["type"], two["value"]) == ("Mine", "m")
    (three,) = preprocess("$exception", {"$exception_message": "only a message"}).exceptions
    assert (three["type"], three["value"], "stacktrace" in three) == ("Error", "only a message", False)


def test_positions_from_text_are_plain_decimal_only():
    frames = [js_frame(lineno="²", colno="9" * 30), js_frame(lineno="7", colno=" 8")]
    got = preprocess("$exception", {"$exception_list": [exc(stacktrace={"frames": frames})]})
    one, two = got.exceptions[0]["stacktrace"]["frames"]
    assert (one["lineno"], one["colno"], two["lineno"], two["colno"]) == (None, None, 7, None)
