"""Base64 VLQ, the number encoding of the `mappings` string, decoded with numpy.

Decoding turns a `mappings` string into one array of items (signed values and the `,`
and `;` separators) without a Python loop per character: `bytes.translate` does the
per-character work in C, and multi-digit values are assembled with numpy, all of them a
digit place at a time. Grouping items into segments and lines is `segments.py`'s job.

A value is a 32-bit signed integer (ECMA-426): anything larger is rejected, and the
encoding of "negative zero" (`B`) stands for -2**31.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

from symbols.sourcemaps.errors import InvalidVlqError
from symbols.sourcemaps.scratch import scratch

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
PADDING = 4  # zeros after the last item: a segment's five fields never read past the end
# Item bytes that are not one-digit values (those are -15..15): a character outside the
# alphabet, and `B`, "negative zero", which stands for -2**31 (int8 -128 and -127).
_INVALID = 0x80
_NEGATIVE_ZERO = 0x81

_CONTINUATION_CHARS = bytes(c for v, c in enumerate(BASE64_ALPHABET) if v & _CONTINUATION)
_VALID_CHARS = frozenset(BASE64_ALPHABET + b",;")
# Byte -> digit for multi-digit values: a continuation digit is its payload | 0x80 (so it
# reads negative as int8), a closing digit its value (0..31), anything else _NOT_A_DIGIT.
_NOT_A_DIGIT = 0x40
_DIGIT_TABLE = bytes(
    (0x80 | (v & _PAYLOAD) if v & _CONTINUATION else v) if (v := BASE64_ALPHABET.find(bytes([c]))) >= 0
    else _NOT_A_DIGIT for c in range(256))


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
_RUN = re.compile(rb"[g-z0-9+/]*")  # continuation digits
_VALID_DIGITS = frozenset(BASE64_ALPHABET)
_INVALID_BYTE = bytes([_INVALID])
_NEGATIVE_ZERO_BYTE = bytes([_NEGATIVE_ZERO])
_B = ord("B")


class VlqStream(NamedTuple):
    """Decoded `mappings` as items: each value, `,` and `;` in order, continuation digits gone.

    `values` (int32) holds each value, COMMA or SEMICOLON at `separators` (item indices),
    and PADDING zeros past the last item, so that every segment can read five fields.
    It is a scratch buffer: valid until the thread's next decode.
    `line_breaks` indexes the separators that are `;`. `mappings` is kept to turn an item
    back into a character offset.
    """

    values: np.ndarray
    separators: np.ndarray
    line_breaks: np.ndarray
    mappings: bytes

    @property
    def item_count(self) -> int:
        return self.values.size - PADDING

    def char_offset(self, item: int) -> int:
        """Character offset in `mappings` of an item's first digit (or of a separator)."""
        continuation = np.flatnonzero(np.frombuffer(self.mappings.translate(_DIGIT_TABLE), np.int8) < 0)
        # Item index of the item each continuation digit belongs to; count those before `item`.
        owner = continuation - np.arange(continuation.size)
        return item + int(np.searchsorted(owner, item, side="left"))


def decode_stream(mappings: bytes) -> VlqStream:
    """Decode a `mappings` string (ASCII bytes); raises InvalidVlqError naming the offset.

    One C-level `bytes.translate` drops continuation digits and maps every other digit to
    its one-digit value (int8); only multi-digit values are assembled with numpy, from a
    second translate that tells continuation digits and gives every digit's payload.
    """
    translated = mappings.translate(_ITEM_TABLE, _CONTINUATION_CHARS)
    if _INVALID_BYTE in translated:
        at = next(i for i, char in enumerate(mappings) if char not in _VALID_CHARS)
        raise InvalidVlqError(f"mappings: invalid character {chr(mappings[at])!r} at offset {at}")
    codes = np.frombuffer(translated, dtype=np.int8)
    separators = np.flatnonzero(np.greater_equal(codes, COMMA, out=scratch("mask", codes.size, bool)))
    values = scratch("items", codes.size + PADDING, np.int32)
    values[: codes.size] = codes
    values[codes.size :] = 0
    closing_b = 0
    if len(translated) < len(mappings):
        items, multi, closing_b = _multi_digit_values(mappings)
    # `B` also closes multi-digit values (`gB` is 16), which are written below: look for a
    # standalone `B` (-2**31) only when there are more `B`s than those. In real maps there
    # are none (it never fits a valid map) but there are many closing ones (164k on monaco).
    if _NEGATIVE_ZERO_BYTE in translated:
        negative_zero = np.equal(codes, np.int8(_NEGATIVE_ZERO - 256), out=scratch("mask", codes.size, bool))
        if np.count_nonzero(negative_zero) > closing_b:  # counting is ~8x cheaper than finding
            values[np.flatnonzero(negative_zero)] = MIN_VALUE
    if len(translated) < len(mappings):
        values[items] = multi
    # `;` are few: find them among the separators rather than in the whole stream.
    breaks = np.flatnonzero(codes.take(separators) == SEMICOLON)
    return VlqStream(values, separators, breaks, mappings)


def _multi_digit_values(mappings: bytes) -> tuple[np.ndarray, np.ndarray, int]:
    """Item indices and values (int32) of the values with continuation digits, and how
    many of them end in a `B`.

    A run of continuation digits plus the digit after it is one value, least significant
    digit first. All values advance together one digit at a time: the k-th digit of each
    is OR-ed in at bit 5k, and values whose digit was a continuation go on (most stop
    after two or three digits).
    """
    digits = np.frombuffer(mappings.translate(_DIGIT_TABLE), dtype=np.int8)
    continuation = np.flatnonzero(np.less(digits, 0, out=scratch("mask", digits.size, bool)))
    opens = np.empty(continuation.size, dtype=bool)
    opens[0] = True
    np.not_equal(continuation[1:], continuation[:-1] + 1, out=opens[1:])
    run_start = np.flatnonzero(opens)  # index in `continuation` of each value's first digit
    first = continuation.take(run_start)  # offset of each value's first digit
    # Up to six digits carry 30 bits: int32 holds them; a seventh digit needs int64.
    raw = (digits.take(first) & _PAYLOAD).astype(np.int32)
    closing = first + 1  # ends as the offset of each value's last digit
    active = None  # values still reading digits (None: all of them)
    unfinished = []  # values cut short by a separator or the end
    for place in range(1, _SIGNIFICANT_DIGITS):
        at = closing if active is None else closing[active]
        digit = digits.take(at, mode="clip")  # only the last value can run past the end
        dangling = digit == _NOT_A_DIGIT
        if at[-1] >= digits.size:
            dangling[-1] = True
        if dangling.any():
            unfinished.append(np.flatnonzero(dangling) if active is None else active[dangling])
            digit[dangling] = 0
        if place == _SIGNIFICANT_DIGITS - 1:
            raw = raw.astype(np.int64)
        shifted = np.left_shift(digit & _PAYLOAD, 5 * place, dtype=raw.dtype)
        if active is None:
            raw |= shifted
        else:
            raw[active] |= shifted
        going_on = np.flatnonzero(digit < 0)
        active = going_on if active is None else active[going_on]
        if not active.size:
            break
        closing[active] += 1
    too_long = []  # digits past the seventh are padding: they must be zero (`g`, then `A`)
    for run in active.tolist() if active.size else ():
        start = int(first[run]) + _SIGNIFICANT_DIGITS
        end = _RUN.match(mappings, start).end()
        closing[run] = end
        if end >= len(mappings) or mappings[end] not in _VALID_DIGITS:
            unfinished.append(np.array([run]))
        elif mappings[end] != ord("A") or mappings.count(b"g", start, end) != end - start:
            too_long.append(run)
    if unfinished:
        at = int(first[min(int(runs.min()) for runs in unfinished)])
        raise InvalidVlqError(f"mappings: value at offset {at} is missing continuation digits")
    magnitude = raw >> 1
    if raw.dtype == np.int64:
        too_large = np.flatnonzero(magnitude > MAX_VALUE)
        if too_long or too_large.size:
            at = int(first[min(too_long + too_large[:1].tolist())])
            raise InvalidVlqError(f"mappings: value at offset {at} exceeds 32 bits")
    negative = raw & 1
    magnitude ^= -negative
    magnitude += negative  # -magnitude where negative
    values = magnitude.astype(np.int32, copy=False)
    values[raw == 1] = MIN_VALUE  # "negative zero" with padding digits, like `B`
    closing_b = int(np.count_nonzero(np.frombuffer(mappings, np.uint8).take(closing) == _B))
    # Items lack continuation digits: a value's item index is its offset less the
    # continuation digits up to it, which is where the next value's digits start.
    items = closing
    items[:-1] -= run_start[1:]
    items[-1] -= continuation.size
    return items, values, closing_b


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


def decode_value(text: str, start: int = 0) -> tuple[int, int]:
    """The one value whose digits start at ``text[start]``, and the offset after them
    (for tools that edit a `mappings` string in place). Raises InvalidVlqError."""
    rest = 0
    for i in range(start, min(len(text), start + _SIGNIFICANT_DIGITS)):
        digit = BASE64_ALPHABET.find(text[i].encode()) if text[i].isascii() else -1
        if digit < 0:
            raise InvalidVlqError(f"invalid character {text[i]!r} at offset {i}")
        rest |= (digit & _PAYLOAD) << (5 * (i - start))
        if not digit & _CONTINUATION:
            if rest == 1:
                return MIN_VALUE, i + 1
            value = -(rest >> 1) if rest & 1 else rest >> 1
            if not MIN_VALUE <= value <= MAX_VALUE:
                break
            return value, i + 1
    raise InvalidVlqError(f"truncated or oversized value at offset {start}")


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


__all__ = [
    "COMMA",
    "PADDING",
    "SEMICOLON",
    "VlqStream",
    "decode_stream",
    "decode_value",
    "encode_mappings",
    "encode_value",
]
