"""Fingerprints against hashes computed here from the documented byte sequence (cymbal's
algorithm), not from the module's own code."""

from __future__ import annotations

import hashlib

from symbols.errortracking.fingerprint import fingerprint, manual


def sha512(*parts: bytes) -> str:
    return hashlib.sha512(b"".join(parts)).hexdigest()


def frame(raw_id: str, **fields) -> dict:
    base = {"raw_id": raw_id, "mangled_name": "a", "line": 1, "column": 345,
            "source": "/static/app.min.js", "in_app": True, "resolved_name": None,
            "lang": "javascript", "resolved": False, "resolve_failure": "NoSourcemapUploaded"}
    return {**base, **fields}


def resolved(raw_id: str, source: str, name: str, **fields) -> dict:
    return frame(raw_id, source=source, resolved_name=name, resolved=True, resolve_failure=None,
                 line=10, column=4, **fields)


def exception(frames=None, *, type_="TypeError", value="x is undefined", id_="e1") -> dict:
    exc = {"type": type_, "value": value, "id": id_}
    if frames is not None:
        exc["stacktrace"] = {"type": "resolved", "frames": frames}
    return exc


def test_no_stack_hashes_type_and_value():
    got = fingerprint([exception()])
    assert got.value == got.proposed == sha512(b"TypeError", b"x is undefined")
    assert got.record == [{"type": "exception", "id": "e1", "pieces": ["Exception Type", "Exception Message"]}]
    assert len(got.value) == 128 and got.value == got.value.lower()
    raw_stack = {**exception(), "stacktrace": {"type": "raw", "frames": [frame("f")]}}
    assert fingerprint([raw_stack]).value == got.value  # a raw stack is not a resolved one


def test_resolved_in_app_frames_only_when_some_are_resolved():
    frames = [
        resolved("f1", "src/a.ts", "load"),
        frame("f2"),  # in app, not resolved: left out
        resolved("f3", "node_modules/lib/x.js", "inner", in_app=False),  # not in app
        resolved("f4", "src/b.ts", "Widget.render"),
    ]
    got = fingerprint([exception(frames)])
    assert got.value == sha512(b"TypeError", b"src/a.ts", b"load", b"src/b.ts", b"Widget.render")
    assert got.record == [
        {"type": "exception", "id": "e1", "pieces": ["Exception Type"]},
        {"type": "frame", "raw_id": "f1", "pieces": ["Source file name", "Resolved function name"]},
        {"type": "frame", "raw_id": "f4", "pieces": ["Source file name", "Resolved function name"]},
    ]
    # the value is never hashed once the stack is resolved
    assert fingerprint([exception(frames, value="other")]).value == got.value


def test_all_in_app_frames_when_none_is_resolved():
    frames = [frame("f1"), frame("f2", source=None, line=None, mangled_name="b"),
              frame("f3", in_app=False, mangled_name="lib")]
    got = fingerprint([exception(frames)])
    assert got.value == sha512(b"TypeError", b"/static/app.min.js", b"a", b"1", b"345", b"javascript",
                               b"b", b"345", b"javascript")
    assert got.record[1:] == [
        {"type": "frame", "raw_id": "f1", "pieces": ["Source file name", "Mangled function name",
                                                     "Line number", "Column number", "Language"]},
        {"type": "frame", "raw_id": "f2", "pieces": ["Mangled function name", "Column number", "Language"]},
    ]


def test_first_frame_only_when_none_is_in_app():
    frames = [resolved("f1", "node_modules/react/index.js", "render", in_app=False),
              resolved("f2", "node_modules/react/other.js", "commit", in_app=False)]
    got = fingerprint([exception(frames)])
    assert got.value == sha512(b"TypeError", b"node_modules/react/index.js", b"render")
    assert [p.get("raw_id") for p in got.record] == [None, "f1"]
    assert fingerprint([exception([])]).value == sha512(b"TypeError")


def test_module_and_several_exceptions_in_order():
    py = {"raw_id": "p1", "mangled_name": "index", "line": 42, "column": None, "source": "app/views.py",
          "in_app": True, "resolved_name": "index", "lang": "python", "resolved": True,
          "resolve_failure": None, "module": "app.views"}
    cause = exception([py], type_="KeyError", value="'x'", id_="e2")
    got = fingerprint([exception(), cause])
    assert got.value == sha512(b"TypeError", b"x is undefined", b"KeyError", b"app/views.py",
                               b"app.views", b"index")
    assert got.record[-1]["pieces"] == ["Source file name", "Module name", "Resolved function name"]
    assert fingerprint([cause, exception()]).value != got.value


def test_client_fingerprint_wins_and_long_ones_are_hashed():
    auto = fingerprint([exception()]).value
    got = fingerprint([exception()], "checkout-failed")
    assert (got.value, got.proposed, got.record) == ("checkout-failed", auto, [{"type": "manual"}])
    long = "x" * 65
    assert fingerprint([exception()], long).value == sha512(long.encode())
    assert manual("x" * 64) == "x" * 64
    accents = "é" * 33  # 33 characters, 66 bytes
    assert manual(accents) == sha512(accents.encode())
    assert fingerprint([exception()], "").value == auto
    assert fingerprint([exception()], 12).value == auto


def test_grouping_rule_hook():
    got = fingerprint([exception()], rule_id="0190f6a4-1b2c-7d3e-8f40-123456789abc")
    assert got.value == got.proposed == "custom-rule:0190f6a4-1b2c-7d3e-8f40-123456789abc"
    assert got.record == [{"type": "custom", "rule_id": "0190f6a4-1b2c-7d3e-8f40-123456789abc"}]
    both = fingerprint([exception()], "mine", rule_id="r1")
    assert (both.value, both.proposed, both.record) == ("mine", "custom-rule:r1", [{"type": "manual"}])
