"""Python-level views for single lookups: integers and strings without numpy's per-call cost.

Reading one item of a numpy array makes a numpy scalar (~100 ns, and more to turn it
into an `int`), and `searchsorted` on a slice costs ~1 us, or a full copy when the key
does not fit the dtype. A `memoryview` of the same buffer reads items as Python ints in
~25 ns and `bisect` walks it in C, with no copy: `int_view` makes one, for parsed
arrays and for arrays loaded with `np.frombuffer` alike.

String tables loaded from an index decode each string when asked (`StringTable`), which
costs a Python call per read; `lazy_strings` gives a list that single lookups fill as they
go (`UNREAD` until then), so each string is decoded once. Its cost is one pointer per
entry (plus the strings read so far); a list given as input is used as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_FORMATS = {1: "B", 2: "H", 4: "I", 8: "Q"}
UNREAD = object()  # a `lazy_strings` entry not decoded yet (None is a valid entry)


def int_view(array: np.ndarray) -> memoryview:
    """A read-only memoryview of 1-D unsigned or signed integer `array` whose items are ints."""
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    code = _FORMATS[array.dtype.itemsize]
    return memoryview(np.ascontiguousarray(array)).cast("B").cast(code if array.dtype.kind == "u" else code.lower())


def lazy_strings(strings: Sequence[str | None]) -> list:
    """`strings` itself if it is a list, else a list of `UNREAD` to fill from it on demand."""
    return strings if isinstance(strings, list) else [UNREAD] * len(strings)


__all__ = ["UNREAD", "int_view", "lazy_strings"]
