"""Deterministic sample of generated positions to look up, independent of the engine.

The generated columns of every segment are decoded here with a few lines of VLQ code
of our own (only the first field of each segment is needed), so the sample does not
depend on the engine under test. Kinds, in proportion:

- ``segment``:  exactly on a segment start (uniform over all segments),
- ``between``:  strictly between two consecutive segments of a line,
- ``past_end``: past both the last segment and the end of the minified line,
- ``before``:   before the first segment of a line that does not start at column 0,
- ``random``:   uniform line in [0, lines + 2) and column in [0, widest line + 50).

Lines and columns are 0-based (columns in UTF-16 code units, as source maps count;
the minified line length is only used to step past the end, so code points do).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}

MIX = (("segment", 0.40), ("between", 0.30), ("past_end", 0.10), ("before", 0.05), ("random", 0.15))


def generated_columns(mappings: str) -> list[list[int]]:
    """Generated column of every segment, per generated line (sorted)."""
    out: list[list[int]] = []
    b64 = _B64
    for line in mappings.split(";"):
        cols: list[int] = []
        col = 0
        if line:
            for seg in line.split(","):
                if not seg:
                    continue
                value = shift = 0
                for ch in seg:
                    digit = b64[ch]
                    value += (digit & 31) << shift
                    shift += 5
                    if not digit & 32:
                        break
                col += -(value >> 1) if value & 1 else value >> 1
                cols.append(col)
            cols.sort()
        out.append(cols)
    return out


@dataclass
class Sample:
    lines: np.ndarray  # int64, 0-based
    columns: np.ndarray  # int64, 0-based
    kinds: list[str]
    segments: int  # total segments in the map (all sizes)

    def __len__(self) -> int:
        return len(self.kinds)

    def to_json(self) -> dict:
        return {"lines": self.lines.tolist(), "columns": self.columns.tolist()}


def sample_positions(mappings: str, minified: str, *, n: int, seed: str) -> Sample:
    per_line = generated_columns(mappings)
    js_lines = minified.split("\n")
    counts = np.fromiter((len(c) for c in per_line), dtype=np.int64, count=len(per_line))
    total = int(counts.sum())
    starts = np.concatenate(([0], np.cumsum(counts)))
    mapped = [i for i, c in enumerate(per_line) if c]
    gapped = [i for i in mapped if per_line[i][0] > 0]
    widest = max([len(s) for s in js_lines] + [c[-1] for c in per_line if c] + [1])
    rng = random.Random(seed)

    def pick() -> tuple[int, int]:
        k = rng.randrange(total)
        line = int(np.searchsorted(starts, k, side="right")) - 1
        return line, int(k - starts[line])

    def at_segment() -> tuple[int, int]:
        line, j = pick()
        return line, per_line[line][j]

    def between() -> tuple[int, int]:
        for _ in range(50):
            line, j = pick()
            cols = per_line[line]
            col = cols[j]
            nxt = cols[j + 1] if j + 1 < len(cols) else None
            if nxt is not None and nxt - col >= 2:
                return line, rng.randrange(col + 1, nxt)
        return at_segment()

    def past_end() -> tuple[int, int]:
        line = rng.choice(mapped)
        end = max(per_line[line][-1], len(js_lines[line]) if line < len(js_lines) else 0)
        return line, end + rng.randint(1, 50)

    def before() -> tuple[int, int]:
        if not gapped:
            return at_segment()
        line = rng.choice(gapped)
        return line, rng.randrange(per_line[line][0])

    def anywhere() -> tuple[int, int]:
        return rng.randrange(len(per_line) + 2), rng.randrange(widest + 50)

    makers = {"segment": at_segment, "between": between, "past_end": past_end,
              "before": before, "random": anywhere}
    kinds: list[str] = []
    for kind, share in MIX:
        kinds += [kind] * round(n * share)
    kinds = kinds[:n] + ["segment"] * (n - len(kinds))
    rng.shuffle(kinds)
    pos = [makers[k]() for k in kinds]
    return Sample(
        lines=np.array([p[0] for p in pos], dtype=np.int64),
        columns=np.array([p[1] for p in pos], dtype=np.int64),
        kinds=kinds,
        segments=total,
    )
