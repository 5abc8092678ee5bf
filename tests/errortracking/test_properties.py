"""Output properties of a processed exception event, through the pure stages end to end."""

from __future__ import annotations

import copy
import hashlib
import uuid

from symbols.errortracking.fingerprint import Fingerprint, fingerprint
from symbols.errortracking.platforms import passthrough, resolved_stack
from symbols.errortracking.preprocess import preprocess
from symbols.errortracking.properties import output_properties

ISSUE = uuid.UUID("0190f6a4-1b2c-7d3e-8f40-123456789abc")
FP = Fingerprint("fp", "proposed", [{"type": "manual"}])


def py_frame(function: str, filename: str, in_app: bool = True) -> dict:
    return {"platform": "python", "filename": filename, "function": function, "lineno": 3,
            "in_app": in_app, "context_line": "x()", "module": filename.removesuffix(".py")}


def processed(props: dict) -> tuple[dict, list[dict]]:
    """Pre-process, pass the Python frames through, as the worker will."""
    prepared = preprocess("$exception", props)
    for exc in prepared.exceptions:
        if "stacktrace" in exc:
            exc["stacktrace"] = resolved_stack([passthrough(f) for f in exc["stacktrace"]["frames"]])
    return prepared.properties, prepared.exceptions


def test_output_properties_end_to_end():
    stack = {"frames": [py_frame("handler", "app.py"), py_frame("lib_call", "site/lib.py", in_app=False),
                        py_frame("helper", "util.py"), py_frame("handler", "app.py")]}
    props = {
        "$exception_list": [
            {"type": "ValueError", "value": "bad", "mechanism": {"handled": True}, "stacktrace": stack},
            {"type": "KeyError", "value": "'k'", "stacktrace": {"frames": [py_frame("other", "app.py")]}},
            {"type": "ValueError", "value": "bad"},
        ],
        "$exception_types": ["client says"], "$exception_issue_id": "client", "$lib": "posthog-python",
        "distinct_id": "u1", "$cymbal_errors": [],
    }
    props_in, exceptions = processed(props)
    before = copy.deepcopy(exceptions)
    fp = fingerprint(exceptions)
    out = output_properties(props_in, exceptions, fp, ISSUE)
    assert exceptions == before  # contexts stripped on a copy
    assert out["$exception_types"] == ["ValueError", "KeyError"]
    assert out["$exception_values"] == ["bad", "'k'"]
    assert out["$exception_sources"] == ["app.py", "util.py"]
    assert out["$exception_functions"] == ["handler", "helper", "other"]
    assert out["$exception_handled"] is True
    assert out["$exception_issue_id"] == str(ISSUE)
    assert (out["$exception_fingerprint"], out["$exception_proposed_fingerprint"]) == (fp.value, fp.value)
    assert out["$exception_fingerprint_record"] == fp.record
    assert out["$exception_fingerprint"] == hashlib.sha512(
        b"ValueError" b"app.py" b"app" b"handler" b"util.py" b"util" b"helper" b"app.py" b"app" b"handler"
        b"KeyError" b"app.py" b"app" b"other" b"ValueError" b"bad").hexdigest()
    frames = out["$exception_list"][0]["stacktrace"]["frames"]
    assert all("context" not in f for f in frames) and "context" in exceptions[0]["stacktrace"]["frames"][0]
    assert [e["id"] for e in out["$exception_list"]] == [e["id"] for e in exceptions]
    assert (out["$lib"], out["distinct_id"]) == ("posthog-python", "u1")
    assert "$cymbal_errors" not in out and "$exception_releases" not in out


def test_handled_releases_and_errors():
    props, exceptions = processed({"$exception_list": [{"type": "E", "value": "v"}],
                                   "$exception_handled": False, "$cymbal_errors": ["a frame failed"]})
    exceptions[0]["mechanism"] = {"handled": True}
    out = output_properties(props, exceptions, FP, ISSUE, releases={"r1": {"version": "1.2.0"}})
    assert out["$exception_handled"] is False  # the client's own value wins
    assert out["$exception_releases"] == {"r1": {"version": "1.2.0"}}
    assert out["$cymbal_errors"] == ["a frame failed"]
    assert (out["$exception_sources"], out["$exception_functions"]) == ([], [])
    plain = output_properties({}, [{"type": "E", "value": "v", "id": "i"}], FP, ISSUE, releases={})
    assert plain["$exception_handled"] is False and "$exception_releases" not in plain
    assert plain["$exception_fingerprint_record"] == [{"type": "manual"}]
