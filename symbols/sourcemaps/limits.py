"""Caps on what one symbol set may cost, so that a tiny hostile upload stays cheap.

Every cost of reading a symbol set grows with the input actually used, and each input
dimension is capped below; going past a cap raises a typed error before the costly work:
`TooLargeError` (code `too_large`) for sizes, `TooComplexError` (`too_complex`) for the
shape of the minified JavaScript, and the container's `ContainerError("too_large")` for
decompressed bytes. The defaults hold every real bundle we know of with room to spare
(monaco's 13 MB map: 739 lines, 608,531 segments, 781 sources, 13,879 names, syntax
nesting 111); callers may pass their own `Limits`.

- `decompressed_bytes` (512 MiB): bytes a gzip or zstd blob may expand to; the
  decompressor never produces more than this (plus one read step).
- `lines` (2**22): generated lines of a map, an index map's offsets included. The line
  table costs 8 bytes a line while decoding, whatever the segments.
- `segments` (2**24): mapping segments (~40-80 bytes each while decoding).
- `sources`, `names` (2**20, 2**22): entries of those lists (each costs Python work).
- `sections` (2**16): sections of an index map (each is decoded as a small map).
- `offset_column` (2**31 - 1): an index-map section's column offset (its line offset
  is capped by `lines`).
- `nesting_depth` (2**14): syntax nesting of the minified source (binary operator chains,
  `else if` chains and nested functions all nest); the function-scope lookup walks
  nested functions, so its worst case is bounded by this too.
- `scope_seconds` (30): wall time to parse the minified source and build its function
  scopes (monaco's 3.7 MB bundle: ~2 s); the work is linear, this is the backstop.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    decompressed_bytes: int = 512 * MIB
    lines: int = 1 << 22
    segments: int = 1 << 24
    sources: int = 1 << 20
    names: int = 1 << 22
    sections: int = 1 << 16
    offset_column: int = 2**31 - 1
    nesting_depth: int = 1 << 14
    scope_seconds: float = 30.0


DEFAULT_LIMITS = Limits()

__all__ = ["DEFAULT_LIMITS", "Limits"]
