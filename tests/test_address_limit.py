"""The fuzzers run under an address-space limit (tests/conftest.py), in CI as anywhere."""

import resource

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=1, deadline=None)
@given(st.just(4 * 1024**3))
def test_fuzzers_run_under_an_address_space_limit(size):
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY
    with pytest.raises(MemoryError):
        bytearray(size)


def test_other_tests_do_not():
    assert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY
