import gzip

import pytest
import zstandard

from symbols.sourcemaps.limits import Limits
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
        container.unpack(bomb, limits=Limits(decompressed_bytes=1_000_000))
    assert err.value.code == "too_large"


def _zstd_container(payload_chunks, *, level=1) -> bytes:
    """A version 2 zstd container whose payload is streamed in (never held whole)."""
    compressor = zstandard.ZstdCompressor(level=level).compressobj()
    body = b"".join(compressor.compress(chunk) for chunk in payload_chunks) + compressor.flush()
    header = b"posthog_error_tracking" + (2).to_bytes(4, "little") + (2).to_bytes(4, "little") + b"\x01"
    return header + body


def test_zstd_lengths_past_the_cap_fail_before_reading():
    limits = Limits(decompressed_bytes=1 << 20)
    claimed = (0).to_bytes(8, "little") + (1 << 40).to_bytes(8, "little")
    with pytest.raises(ContainerError) as err:
        container.unpack(_zstd_container([claimed, b"{}"]), limits=limits)
    assert err.value.code == "too_large"
    assert "source map has 1099511627776 bytes" in str(err.value)


def test_zstd_stream_longer_than_its_lengths_stops_at_them():
    # Lengths that fit the cap, then more data than they say: read up to them, refused after.
    limits = Limits(decompressed_bytes=1 << 20)
    lengths = (2).to_bytes(8, "little") + b"js" + (1000).to_bytes(8, "little")
    blob = _zstd_container([lengths, b" " * 1000, b"x" * (64 << 20)])
    assert len(blob) < 100_000
    with pytest.raises(ContainerError) as err:
        container.unpack(blob, limits=limits)
    assert (err.value.code, str(err.value)) == ("invalid_container", "unexpected bytes after the source map")


def test_zstd_truncated_and_short_payloads():
    blob = container.pack(MAP, SOURCE)
    with pytest.raises(ContainerError) as err:
        container.unpack(blob[:-4])
    assert err.value.code == "invalid_zstd"
    lengths = (2).to_bytes(8, "little") + b"js" + (1000).to_bytes(8, "little") + b"{}"
    with pytest.raises(ContainerError) as err:
        container.unpack(_zstd_container([lengths]))
    assert (err.value.code, str(err.value)) == (
        "invalid_zstd", "container says the source map has 1000 bytes but only 2 follow")


def test_gzip_past_the_cap_is_too_large_and_within_it_is_whole():
    big = b'{"version":3,"sources":[],"names":[],"mappings":"' + b";" * 3_000_000 + b'"}'
    with pytest.raises(ContainerError) as err:
        container.unpack(gzip.compress(big), limits=Limits(decompressed_bytes=2_000_000))
    assert err.value.code == "too_large"
    assert container.unpack(gzip.compress(big), limits=Limits(decompressed_bytes=len(big))).source_map == big
