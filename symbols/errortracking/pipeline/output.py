"""Output stage: the properties exception events are stored with (``properties.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from ..properties import output_properties
from .item import Item


def write_properties(items: Sequence[Item]) -> None:
    for item in items:
        if item.exceptions is not None and item.fingerprint is not None and item.issue is not None:
            item.props = output_properties(item.props, item.exceptions, item.fingerprint, item.issue.issue_id)


__all__ = ["write_properties"]
