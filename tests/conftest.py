"""Root fixtures shared by the whole suite: real S3 (moto), real databases, a copy of the
bundler output (``build_dir``), and the address-space limit of the fuzzers."""

import resource
from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures.s3", "tests.databases", "tests.support.bundles"]

# The fuzzers (hypothesis tests, schemathesis, the *fuzz* modules) run under an address-space
# limit (RLIMIT_AS), as the hostile-input suite does (bench/hostile.py): an input that makes
# the code allocate without bound fails its test with a MemoryError instead of exhausting
# the machine. The limit is what the process holds when the test starts plus this.
FUZZ_ADDRESS_HEADROOM = 2 * 1024**3
ADDRESS_LIMIT = "address_limit"


def pytest_configure(config):
    config.addinivalue_line("markers", f"{ADDRESS_LIMIT}: run under an address-space limit (the fuzzers)")


def _is_fuzzer(item) -> bool:
    name = Path(str(item.fspath)).name
    return "fuzz" in name or "schemathesis" in name or getattr(getattr(item, "obj", None), "is_hypothesis_test", False)


def pytest_collection_modifyitems(items):
    for item in items:
        if _is_fuzzer(item):
            item.add_marker(ADDRESS_LIMIT)


def _address_space() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


@pytest.fixture(autouse=True)
def _address_limit(request):
    """Autouse fixtures come first: the test's own fixtures (a service) count in the limit."""
    if request.node.get_closest_marker(ADDRESS_LIMIT) is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + FUZZ_ADDRESS_HEADROOM
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
