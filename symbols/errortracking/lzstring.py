"""lz-string's ``decompressFromBase64``, with a bound on the output (bomb-safe).

posthog-js (``?compression=lz64``) sends bodies packed by the npm ``lz-string`` package.
The PyPI ``lzstring`` port (last release 2018) cannot bound its output, and LZW-style
output grows quadratically with the input, so a small body can ask for gigabytes: this
decoder counts UTF-16 code units as it goes and stops at ``limit``.

The format: base64 text carrying 6 bits a character, read least significant bit first
within each code; codes start 2 bits wide and widen as the dictionary grows; code 0 and 1
add an 8- and 16-bit character to the dictionary, 2 ends the stream.
"""

from __future__ import annotations

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_VALUES = {c: i for i, c in enumerate(_ALPHABET)}


class LZStringError(ValueError):
    """The input is not lz-string base64."""


class LZStringTooLarge(LZStringError):
    """The output would pass the limit."""


class _Bits:
    """Reads the base64 text as a stream of bits (32, 16, ... 1 within each character)."""

    def __init__(self, text: str) -> None:
        try:
            self.values = [_VALUES[c] for c in text]
        except KeyError as exc:
            raise LZStringError(f"not lz-string base64: {exc.args[0]!r}") from None
        self.length = len(self.values)
        self.val = self.values[0]
        self.position = 32
        self.index = 1

    def read(self, count: int) -> int:
        bits, power = 0, 1
        for _ in range(count):
            if self.val & self.position:
                bits |= power
            self.position >>= 1
            if self.position == 0:
                self.position = 32
                self.val = self.values[self.index] if self.index < self.length else 0
                self.index += 1
            power <<= 1
        return bits


def decompress_from_base64(text: str, limit: int) -> str:
    """The string ``text`` packs; ``LZStringTooLarge`` past ``limit`` UTF-16 code units."""
    if not text:
        raise LZStringError("empty lz-string input")
    bits = _Bits(text)
    first = bits.read(2)
    if first == 2:
        return ""
    if first > 2:
        raise LZStringError("bad lz-string header")
    w = chr(bits.read(8 if first == 0 else 16))
    dictionary: list[str] = ["", "", "", w]  # codes 0..2 are commands, never entries
    result = [w]
    size = 1
    enlarge_in, num_bits = 4, 3
    while True:
        if bits.index > bits.length:
            raise LZStringError("lz-string input ends without its end code")
        code = bits.read(num_bits)
        if code == 2:
            break
        if code < 2:
            dictionary.append(chr(bits.read(8 if code == 0 else 16)))
            code = len(dictionary) - 1
            enlarge_in -= 1
            if enlarge_in == 0:
                enlarge_in, num_bits = 1 << num_bits, num_bits + 1
        if code < len(dictionary):
            entry = dictionary[code]
        elif code == len(dictionary):
            entry = w + w[0]
        else:
            raise LZStringError("lz-string code out of range")
        size += len(entry)
        if size > limit:
            raise LZStringTooLarge(f"lz-string output passes {limit} characters")
        result.append(entry)
        dictionary.append(w + entry[0])
        enlarge_in -= 1
        w = entry
        if enlarge_in == 0:
            enlarge_in, num_bits = 1 << num_bits, num_bits + 1
    try:  # the codes are UTF-16 code units: join surrogate pairs
        return "".join(result).encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeError:
        raise LZStringError("lz-string output is not valid UTF-16") from None
