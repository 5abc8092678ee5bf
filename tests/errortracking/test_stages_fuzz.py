"""Fuzzed event properties through the pure stages: nothing an SDK sends makes them raise."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symbols.errortracking.fingerprint import fingerprint
from symbols.errortracking.platforms import (
    needs_symbols,
    passthrough,
    resolved_stack,
    unresolved_js,
)
from symbols.errortracking.preprocess import preprocess
from symbols.errortracking.properties import output_properties

_scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False)
            | st.text(max_size=20) | st.sampled_from(["12", "²", "9" * 30, "javascript", "python", "custom"]))
JSON = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=25)
FRAME_KEYS = st.sampled_from(["platform", "filename", "function", "lineno", "colno", "in_app", "chunk_id",
                              "chunkId", "module", "lang", "resolved", "context_line", "pre_context",
                              "post_context", "raw_id"])
FRAME = st.dictionaries(FRAME_KEYS, JSON, max_size=8)
EXCEPTION = st.fixed_dictionaries(
    {}, optional={"type": JSON | st.just("TypeError"), "value": JSON, "mechanism": JSON,
                  "stacktrace": JSON | st.fixed_dictionaries({"frames": st.lists(FRAME | JSON, max_size=5)})})
PROPS = st.fixed_dictionaries(
    {}, optional={"$exception_list": JSON | st.lists(EXCEPTION, max_size=3), "$exception_type": JSON,
                  "$exception_message": JSON, "$exception_stack_trace_raw": JSON | st.text(max_size=200),
                  "$exception_handled": JSON, "$exception_fingerprint": JSON, "$cymbal_errors": JSON})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PROPS, st.booleans())
def test_stages_never_raise(props, resolvable_as_unresolved):
    prepared = preprocess("$exception", props)
    if prepared.exceptions is None:
        assert prepared.properties["$cymbal_errors"]
        return
    for exc in prepared.exceptions:
        if "stacktrace" in exc:
            frames = exc["stacktrace"]["frames"]
            exc["stacktrace"] = resolved_stack([
                unresolved_js(f, "NoSourcemapUploaded" if resolvable_as_unresolved else "TokenNotFound")
                if needs_symbols(f) else passthrough(f) for f in frames])
    fp = fingerprint(prepared.exceptions, prepared.properties.get("$exception_fingerprint"))
    out = output_properties(prepared.properties, prepared.exceptions, fp, "issue")
    assert len(out["$exception_fingerprint"]) <= 128 and out["$exception_types"]
