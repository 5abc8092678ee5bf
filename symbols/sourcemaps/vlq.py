"""Base64 VLQ, the number encoding of the `mappings` string, decoded with numpy.

Decoding turns the whole `mappings` string into one array of items (signed values and
the `,` and `;` separators) without a Python loop per character: `bytes.translate`
does the per-character work in C, and multi-digit values are assembled with numpy from
the positions of continuation digits. Grouping items into segments and lines is the
decoder's job.

A value is a 32-bit signed integer (ECMA-426): anything larger is rejected, and the
encoding of "negative zero" (`B`) stands for -2**31.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from symbols.sourcemaps.errors import InvalidVlqError

BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_CONTINUATION = 32
_PAYLOAD = 31
# Six digits carry 30 payload bits; a seventh may add two more. Digits past that must be
# zero (they are legal padding, e.g. `ig...gA`), or the value does not fit 32 bits.
_SIGNIFICANT_DIGITS = 7
MAX_VALUE = 2**31 - 1
MIN_VALUE = -(2**31)
COMMA = 64
SEMICOLON = 65
# Item bytes that are not one-digit values (those are -15..15): a character outside the
# alphabet, and `B`, "negative zero", which stands for -2**31 (int8 -128 and -127).
_INVALID = 0x80
_NEGATIVE_ZERO = 0x81

_CONTINUATION_CHARS = bytes(c for v, c in enumerate(BASE64_ALPHABET) if v & _CONTINUATION)
_CONTINUATION_MASK = bytes(1 if c in _CONTINUATION_CHARS else 0 for c in range(256))
_NOT_A_DIGIT = 255
_DIGIT_VALUE = np.full(256, _NOT_A_DIGIT, dtype=np.uint8)
_DIGIT_VALUE[np.frombuffer(BASE64_ALPHABET, np.uint8)] = np.arange(64)
_VALID_CHARS = frozenset(BASE64_ALPHABET + b",;")


def _item_table() -> bytes:
    """Byte -> int8 item: the signed value of a one-digit VLQ, or a separator code."""
    table = bytearray([_INVALID]) * 256
    for digit, char in enumerate(BASE64_ALPHABET):
        if not digit & _CONTINUATION:
            magnitude = digit >> 1
            table[char] = (-magnitude & 0xFF) if digit & 1 else magnitude
    table[ord("B")] = _NEGATIVE_ZERO
    table[ord(",")] = COMMA
    table[ord(";")] = SEMICOLON
    return bytes(table)


_ITEM_TABLE = _item_table()


class VlqStream(NamedTuple):
    """Decoded `mappings` as items: each value, `,` and `;` in order, continuation digits gone.

    `items` (int32) holds each value, or COMMA/SEMICOLON at `separators` (item indices);
    `is_line_break` says which separators are `;`. `continuation_offsets` (character
    offsets of continuation digits) turn an item index back into a character offset.
    """

    items: np.ndarray
    separators: np.ndarray
    is_line_break: np.ndarray
    continuation_offsets: np.ndarray

    def char_offset(self, item: int) -> int:
        """Character offset in `mappings` of an item (a value's last digit, or a separator)."""
        items_before_continuation = self.continuation_offsets - np.arange(self.continuation_offsets.size)
        return item + int(np.searchsorted(items_before_continuation, item, side="right"))


def decode_stream(mappings: bytes) -> VlqStream:
    """Decode a `mappings` string (ASCII bytes); raises InvalidVlqError naming the offset.

    One C-level `bytes.translate` drops continuation digits and maps every other digit to
    its one-digit value (int8); only multi-digit values are assembled with numpy, from the
    (few) continuation digit positions.
    """
    translated = mappings.translate(_ITEM_TABLE, _CONTINUATION_CHARS)
    if bytes([_INVALID]) in translated:
        at = next(i for i, char in enumerate(mappings) if char not in _VALID_CHARS)
        raise InvalidVlqError(f"mappings: invalid character {chr(mappings[at])!r} at offset {at}")
    one_digit = np.frombuffer(translated, dtype=np.int8)
    separators = np.flatnonzero(one_digit >= COMMA)
    items = one_digit.astype(np.int32)
    if bytes([_NEGATIVE_ZERO]) in translated:
        items[one_digit == np.int8(_NEGATIVE_ZERO - 256)] = MIN_VALUE
    if len(translated) == len(mappings):
        continuation = np.zeros(0, dtype=np.int64)
    else:
        mask = np.frombuffer(mappings.translate(_CONTINUATION_MASK), dtype=np.uint8)
        continuation = np.flatnonzero(mask.view(bool))
        _patch_multi_digit_values(items, np.frombuffer(mappings, dtype=np.uint8), continuation)
    return VlqStream(items, separators, one_digit[separators] == SEMICOLON, continuation)


def _patch_multi_digit_values(items: np.ndarray, chars: np.ndarray, continuation: np.ndarray) -> None:
    """Replace each multi-digit value's item with the value of all its digits.

    A run of continuation digits plus the digit after it is one value, least significant
    digit first; values are assembled one digit offset at a time (runs are short).
    """
    run_start = np.flatnonzero(np.diff(continuation, prepend=-2) != 1)
    run_length = np.diff(np.append(run_start, continuation.size))
    first = continuation[run_start]
    terminal = first + run_length
    final = _DIGIT_VALUE[chars.take(terminal, mode="clip")].astype(np.int64)
    dangling = np.flatnonzero((terminal >= chars.size) | (final == _NOT_A_DIGIT))
    if dangling.size:
        at = int(first[dangling[0]])
        raise InvalidVlqError(f"mappings: value at offset {at} is missing continuation digits")
    raw = (_DIGIT_VALUE[chars[first]] & _PAYLOAD).astype(np.int64)
    for offset in range(1, min(int(run_length.max()), _SIGNIFICANT_DIGITS)):
        longer = np.flatnonzero(run_length > offset)
        raw[longer] |= (_DIGIT_VALUE[chars[first[longer] + offset]] & _PAYLOAD).astype(np.int64) << (5 * offset)
    for run in np.flatnonzero(run_length >= _SIGNIFICANT_DIGITS):  # padding digits: must be zero
        start, end = int(first[run]) + _SIGNIFICANT_DIGITS, int(terminal[run])
        if (_DIGIT_VALUE[chars[start : end + 1]] & _PAYLOAD).any():
            raise InvalidVlqError(f"mappings: value at offset {int(first[run])} exceeds 32 bits")
    raw |= np.where(run_length < _SIGNIFICANT_DIGITS, final, 0) << (5 * np.minimum(run_length, _SIGNIFICANT_DIGITS))
    magnitude = raw >> 1
    too_large = np.flatnonzero(magnitude > MAX_VALUE)
    if too_large.size:
        at = int(first[too_large[0]])
        raise InvalidVlqError(f"mappings: value at offset {at} exceeds 32 bits")
    values = np.where(raw & 1 == 1, -magnitude, magnitude)
    values[raw == 1] = MIN_VALUE
    # Items lack continuation digits: a value's item index is its offset minus those before.
    items[terminal - (run_start + run_length)] = values


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
