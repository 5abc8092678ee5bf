"""Field-by-field comparison of answers with Mozilla source-map's (the reference)."""

from __future__ import annotations

from collections import Counter
from typing import Any

FIELDS = ("source", "line", "column", "name")


def disagreements(
    got: list[Any], reference: list[Any], kinds: list[str], lines: list[int], cols: list[int],
    *, examples: int = 5,
) -> dict[str, Any]:
    """Count positions whose (source, line, column, name) differ from the reference.

    ``by_field`` counts each differing field (``presence`` when only one side found a
    mapping), ``by_kind`` counts differing positions per kind of sampled position.
    """
    by_field: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    shown: list[dict[str, Any]] = []
    total = 0
    for i, (a, b) in enumerate(zip(got, reference, strict=True)):
        a = tuple(a) if a is not None else None
        b = tuple(b) if b is not None else None
        if a == b:
            continue
        total += 1
        by_kind[kinds[i]] += 1
        if a is None or b is None:
            by_field["presence"] += 1
        else:
            for name, x, y in zip(FIELDS, a, b):
                if x != y:
                    by_field[name] += 1
        if len(shown) < examples:
            shown.append({"line": lines[i], "column": cols[i], "kind": kinds[i],
                          "got": a, "source-map": b})
    return {"total": total, "by_field": dict(by_field), "by_kind": dict(by_kind),
            "examples": shown}
