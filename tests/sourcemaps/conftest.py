import pytest

from symbols.sourcemaps import decoder as decoder_module

IMPLEMENTATIONS = ("numpy", "c")


@pytest.fixture(scope="module", params=IMPLEMENTATIONS)
def mappings_decoder(request):
    """Run a module's tests over both `mappings` decoders: numpy alone, and the C one
    (`_mappings.c`, which hands every fault back to numpy to name).

    Module-scoped (set and restored by hand, not with `monkeypatch`) so that hypothesis
    tests may use it.
    """
    saved = decoder_module.accelerator
    if request.param == "c" and saved is None:
        pytest.skip("the C `mappings` decoder (symbols/sourcemaps/_mappings.c) is not built")
    decoder_module.accelerator = saved if request.param == "c" else None
    yield request.param
    decoder_module.accelerator = saved
