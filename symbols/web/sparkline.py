"""The issue list's small chart of occurrences over time: bars of an inline SVG, sized
here so the template only draws them."""

from __future__ import annotations

from datetime import datetime, timedelta

WIDTH, HEIGHT = 140, 28
_GAP = 1.0
_MIN_BAR = 1.0  # a bucket with events is never drawn flat


def sparkline(counts: list[int], start: datetime, bucket_seconds: int) -> dict:
    """``{"bars": [{x, y, width, height, title}], "total", "label"}`` for ``counts`` (oldest first)."""
    peak = max(counts, default=0)
    width = WIDTH / max(len(counts), 1)
    daily = bucket_seconds >= 86_400
    bars = []
    for i, n in enumerate(counts):
        height = 0.0 if n == 0 else max(_MIN_BAR, HEIGHT * n / peak)
        when = start + timedelta(seconds=i * bucket_seconds)
        stamp = when.strftime("%Y-%m-%d") if daily else when.strftime("%Y-%m-%d %H:00 UTC")
        bars.append({
            "x": round(i * width, 2), "y": round(HEIGHT - height, 2),
            "width": round(max(width - _GAP, 0.5), 2), "height": round(height, 2),
            "title": f"{stamp}: {n}",
        })
    span = f"{len(counts)} {'days' if daily else 'hours'}"
    total = sum(counts)
    return {"bars": bars, "total": total, "width": WIDTH, "height": HEIGHT,
            "label": f"{total} occurrence{'' if total == 1 else 's'} in the last {span}"}


__all__ = ["HEIGHT", "WIDTH", "sparkline"]
