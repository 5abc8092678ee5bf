"""Hostile symbol sets (issue 15) end in typed errors, each in a child process under a
1.5 GiB address-space limit: `bench/hostile.py` builds them (inside the child, from a few
lines of code: no committed blobs) and `python -m bench.hostile` prints their cost."""

import pytest

from bench.hostile import CASES, run_case
from symbols.sourcemaps import decoder


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_case_ends_as_expected_within_the_address_limit(name):
    result = run_case(name)
    assert (result.outcome, result.detail if result.outcome != CASES[name].expected else "") == (
        CASES[name].expected, "")


@pytest.mark.skipif(decoder.accelerator is None, reason="the C decoder is not built: the case above was numpy")
@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.mappings])
def test_hostile_mappings_without_the_c_decoder(name):
    assert run_case(name, numpy_only=True).outcome == CASES[name].expected
