import gzip

import pytest

from symbols.symbol_sets import container
from symbols.symbol_sets.container import BlobFormat, ContainerError

MAP = b'{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA"}'
SOURCE = b"var a=1;\n//# sourceMappingURL=a.js.map\n"


@pytest.mark.parametrize("zstd_level", [None, 3])
def test_container_round_trip(zstd_level):
    blob = container.pack(MAP, SOURCE, zstd_level=zstd_level)
    assert container.sniff(blob[:64]) is BlobFormat.CONTAINER
    content = container.unpack(blob)
    assert content.source_map == MAP
    assert content.minified_source == SOURCE


def test_version_1_container():
    payload = len(SOURCE).to_bytes(8, "little") + SOURCE + len(MAP).to_bytes(8, "little") + MAP
    blob = b"posthog_error_tracking" + (1).to_bytes(4, "little") + (2).to_bytes(4, "little") + payload
    assert container.unpack(blob).source_map == MAP


def test_raw_and_gzip():
    assert container.unpack(MAP).source_map == MAP
    assert container.unpack(MAP).minified_source is None
    assert container.sniff(gzip.compress(MAP)) is BlobFormat.GZIP
    assert container.unpack(gzip.compress(MAP)).source_map == MAP


@pytest.mark.parametrize(
    "blob, code",
    [
        (b"posthog_error_tracking" + (1).to_bytes(4, "little") + (3).to_bytes(4, "little"), "unsupported_symbol_type"),
        (b"posthog_error_tracking" + (9).to_bytes(4, "little") + (2).to_bytes(4, "little"), "unsupported_container_version"),
        (b"posthog_error_tracking\x01", "invalid_container"),
        (b"\x00\x01binary", "unsupported_format"),
        (gzip.compress(MAP)[:-5], "invalid_gzip"),
    ],
)
def test_bad_blobs_have_codes(blob, code):
    with pytest.raises(ContainerError) as err:
        container.unpack(blob)
    assert err.value.code == code


def test_truncated_payload():
    blob = container.pack(MAP, SOURCE, zstd_level=None)
    with pytest.raises(ContainerError) as err:
        container.unpack(blob[:-10])
    assert err.value.code == "invalid_container"
    assert "source map" in str(err.value)


def test_zstd_garbage_and_bomb():
    header = b"posthog_error_tracking" + (2).to_bytes(4, "little") + (2).to_bytes(4, "little") + b"\x01"
    with pytest.raises(ContainerError) as err:
        container.unpack(header + b"not zstd at all")
    assert err.value.code == "invalid_zstd"
    bomb = container.pack(b"{" + b" " * 5_000_000 + b"}", b"")
    with pytest.raises(ContainerError) as err:
        container.unpack(bomb, max_output=1_000_000)
    assert err.value.code == "too_large"
