"""Frames shaped without a symbol set: Python and custom pass through, unresolved JavaScript."""

from __future__ import annotations

import hashlib

from symbols.errortracking.fingerprint import fingerprint
from symbols.errortracking.platforms import (
    needs_symbols,
    passthrough,
    resolved_stack,
    script_path,
    unresolved_js,
)
from symbols.errortracking.preprocess import preprocess

URL = "https://cdn.example.com/static/app.min.js?v=3"


def prepared(*frames: dict) -> list[dict]:
    props = {"$exception_list": [{"type": "E", "value": "v", "stacktrace": {"frames": list(frames)}}]}
    return preprocess("$exception", props).exceptions[0]["stacktrace"]["frames"]


def test_which_frames_need_symbols():
    js, no_pos, py = prepared({"filename": URL, "function": "a", "lineno": 1, "colno": 9},
                              {"filename": URL, "function": "a"},
                              {"platform": "python", "filename": "a.py", "function": "f", "lineno": 3})
    assert (needs_symbols(js), needs_symbols(no_pos), needs_symbols(py)) == (True, False, False)


def test_python_frames_pass_through_resolved_with_context():
    (py,) = prepared({"platform": "python", "filename": "app/views.py", "function": "index",
                      "lineno": 42, "colno": 7, "module": "app.views", "in_app": True,
                      "context_line": "    raise ValueError()",
                      "pre_context": ["def index():", "    x = 1"], "post_context": ["", "y"]})
    got = passthrough(py)
    assert {k: got[k] for k in ("mangled_name", "line", "column", "source", "in_app", "resolved_name",
                                "lang", "resolved", "resolve_failure", "module")} == {
        "mangled_name": "index", "line": 42, "column": None, "source": "app/views.py", "in_app": True,
        "resolved_name": "index", "lang": "python", "resolved": True, "resolve_failure": None,
        "module": "app.views"}
    assert got["raw_id"] == py["raw_id"]
    assert got["context"] == {
        "before": [{"number": 40, "line": "def index():"}, {"number": 41, "line": "    x = 1"}],
        "line": {"number": 42, "line": "    raise ValueError()"},
        "after": [{"number": 43, "line": ""}, {"number": 44, "line": "y"}]}


def test_custom_frames_take_lang_and_resolved_from_the_frame():
    a, b = prepared({"platform": "custom", "lang": "elixir", "function": "A.run/2", "filename": "lib/a.ex",
                     "lineno": 105, "resolved": True},
                    {"platform": "custom", "function": "mangled", "lineno": 1, "colno": 2})
    assert (passthrough(a)["lang"], passthrough(a)["resolved"], passthrough(a)["column"]) == ("elixir", True, None)
    assert (passthrough(b)["lang"], passthrough(b)["resolved"], passthrough(b)["column"]) == ("custom", False, 2)
    assert passthrough(b)["resolved_name"] == "mangled"


def test_javascript_frames_without_position_are_taken_as_native():
    a, b = prepared({"filename": URL, "function": "forEach"},
                    {"filename": "<anonymous>", "function": "JSON.parse"})
    got = passthrough(a)
    assert (got["resolved"], got["resolved_name"], got["source"], got["in_app"], got["line"]) == (
        True, "forEach", "/static/app.min.js", True, None)
    assert passthrough(b)["in_app"] is False and passthrough(b)["source"] == "<anonymous>"


def test_unresolved_javascript_minified_or_not():
    short, long, chunked = prepared({"filename": URL, "function": "a", "lineno": 1, "colno": 300},
                                    {"filename": URL, "function": "a", "lineno": 1, "colno": 301},
                                    {"filename": URL, "function": "a", "lineno": 1, "colno": 5,
                                     "chunk_id": "c1"})
    keep = unresolved_js(short, "NoSourcemapUploaded")
    assert (keep["resolved"], keep["resolved_name"], keep["resolve_failure"]) == (True, "a", "NoSourcemapUploaded")
    for frame, failure in [(long, "NoSourcemapUploaded"), (chunked, "NoSourcemapUploaded"),
                           (short, "TokenNotFound"), (short, "InvalidSourceMap")]:
        got = unresolved_js(frame, failure)
        assert (got["resolved"], got["resolved_name"], got["mangled_name"]) == (False, None, "a")
        assert (got["source"], got["line"], got["column"], got["lang"]) == (
            "/static/app.min.js", 1, frame["colno"], "javascript")
    assert unresolved_js(short, "NoUrlOrChunkId")["resolved_name"] == "a"


def test_script_paths():
    assert script_path("https://x.example/a/b.js:10:2") == "/a/b.js"
    assert script_path("http://x.example") == "/"
    assert script_path("/srv/app/index.js") == "/srv/app/index.js"
    assert script_path(None) is None


def test_an_unresolved_minified_stack_fingerprints_on_positions():
    frames = prepared({"filename": URL, "function": "a", "lineno": 1, "colno": 345},
                      {"filename": URL, "function": "b", "lineno": 1, "colno": 9000})
    shaped = [unresolved_js(f, "NoSourcemapUploaded") for f in frames]
    exc = {"type": "TypeError", "value": "boom", "id": "e", "stacktrace": resolved_stack(shaped)}
    want = hashlib.sha512(b"TypeError/static/app.min.jsa1345javascript/static/app.min.jsb19000javascript")
    assert fingerprint([exc]).value == want.hexdigest()
