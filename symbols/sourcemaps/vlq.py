"""Base64 VLQ, the number encoding of the `mappings` string, decoded with numpy.

Decoding turns the whole `mappings` string into one array of signed values plus the
positions of the `,` and `;` separators, without a Python loop per character: a byte
translation table maps characters to digit values, continuation bits mark where values
end, and multi-digit values (rare in practice) are assembled a digit offset at a time.
Grouping values into segments and lines is the decoder's job.

A value is a 32-bit signed integer (ECMA-426): anything larger is rejected, and the
encoding of "negative zero" (`B`) stands for -2**31.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple, Sequence

import numpy as np

from symbols.sourcemaps.errors import InvalidVlqError

BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
COMMA = 64
SEMICOLON = 65
_INVALID = 255
_CONTINUATION = 32
_PAYLOAD = 31
# Six digits carry 30 payload bits; a seventh may add two more. Digits past that must be
# zero (they are legal padding, e.g. `ig...gA`), or the value does not fit 32 bits.
_SIGNIFICANT_DIGITS = 7
MAX_VALUE = 2**31 - 1
MIN_VALUE = -(2**31)


def _translation_table() -> bytes:
    table = bytearray([_INVALID]) * 256
    for value, char in enumerate(BASE64_ALPHABET):
        table[char] = value
    table[ord(",")] = COMMA
    table[ord(";")] = SEMICOLON
    return bytes(table)


_TABLE = _translation_table()


class VlqStream(NamedTuple):
    """Decoded `mappings`: every value in order, and where each value and separator is.

    `values` is int64; `value_ends` holds the character offset of each value's last digit;
    `separators` the offsets of every `,` and `;`, and `is_line_break` which are `;`.
    """

    values: np.ndarray
    value_ends: np.ndarray
    separators: np.ndarray
    is_line_break: np.ndarray


def decode_stream(mappings: bytes) -> VlqStream:
    """Decode a `mappings` string (ASCII bytes); raises InvalidVlqError naming the offset."""
    codes = np.frombuffer(mappings.translate(_TABLE), dtype=np.uint8)
    bad = np.flatnonzero(codes == _INVALID)
    if bad.size:
        at = int(bad[0])
        raise InvalidVlqError(f"mappings: invalid character {chr(mappings[at])!r} at offset {at}")
    is_digit = codes < COMMA
    continues = is_digit & ((codes & _CONTINUATION) != 0)
    # A continuation digit must be followed by another digit of the same value.
    dangling = np.flatnonzero(continues & ~np.append(is_digit[1:], False))
    if dangling.size:
        at = int(dangling[0])
        raise InvalidVlqError(f"mappings: value at offset {at} is missing continuation digits")

    value_ends = np.flatnonzero(is_digit & ~continues)
    payload = codes.astype(np.int64) & _PAYLOAD
    raw = payload[value_ends]
    if value_ends.size and continues.any():
        raw = _add_continuation_digits(raw, payload, continues, is_digit, value_ends, mappings)
    magnitude = raw >> 1
    negative = (raw & 1) == 1
    too_large = np.flatnonzero(magnitude > MAX_VALUE)
    if too_large.size:
        at = int(value_ends[too_large[0]])
        raise InvalidVlqError(f"mappings: value ending at offset {at} exceeds 32 bits")
    values = np.where(negative, -magnitude, magnitude)
    values[negative & (magnitude == 0)] = MIN_VALUE
    separators = np.flatnonzero(~is_digit)
    return VlqStream(values, value_ends, separators, codes[separators] == SEMICOLON)


def _add_continuation_digits(
    raw: np.ndarray,
    payload: np.ndarray,
    continues: np.ndarray,
    is_digit: np.ndarray,
    value_ends: np.ndarray,
    mappings: bytes,
) -> np.ndarray:
    """Assemble multi-digit values: least significant digit first, 5 bits each."""
    starts = np.flatnonzero(is_digit & ~np.insert(continues[:-1], 0, False))
    lengths = value_ends - starts + 1
    raw = payload[starts].copy()
    longest = int(lengths.max())
    for offset in range(1, min(longest, _SIGNIFICANT_DIGITS)):
        longer = np.flatnonzero(lengths > offset)
        raw[longer] |= payload[starts[longer] + offset] << (5 * offset)
    for index in np.flatnonzero(lengths > _SIGNIFICANT_DIGITS):
        start, end = int(starts[index]), int(value_ends[index])
        if payload[start + _SIGNIFICANT_DIGITS : end + 1].any():
            raise InvalidVlqError(f"mappings: value starting at offset {start} exceeds 32 bits")
    return raw


def encode_value(value: int) -> str:
    """One signed value as base64 VLQ digits."""
    if not MIN_VALUE <= value <= MAX_VALUE:
        raise ValueError(f"{value} does not fit a 32-bit VLQ")
    if value == MIN_VALUE:
        return "B"
    rest = (-value << 1) | 1 if value < 0 else value << 1
    digits = []
    while True:
        digit = rest & _PAYLOAD
        rest >>= 5
        if rest:
            digits.append(BASE64_ALPHABET[digit | _CONTINUATION])
        else:
            digits.append(BASE64_ALPHABET[digit])
            return bytes(digits).decode("ascii")


def encode_mappings(lines: Iterable[Sequence[Sequence[int]]]) -> str:
    """Encode absolute segments, one list per generated line, as a `mappings` string.

    A segment is `(column,)`, `(column, source, line, column)` or the same plus a name
    index; values are made relative exactly as the format prescribes.
    """
    previous = [0, 0, 0, 0]  # source, original line, original column, name
    encoded_lines = []
    for segments in lines:
        previous_column = 0
        encoded = []
        for segment in segments:
            fields = [encode_value(segment[0] - previous_column)]
            previous_column = segment[0]
            for slot, value in enumerate(segment[1:]):
                fields.append(encode_value(value - previous[slot]))
                previous[slot] = value
            encoded.append("".join(fields))
        encoded_lines.append(",".join(encoded))
    return ";".join(encoded_lines)


__all__ = ["VlqStream", "decode_stream", "encode_mappings", "encode_value"]
