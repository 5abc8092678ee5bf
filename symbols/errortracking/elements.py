"""PostHog's ``elements_chain`` (autocapture's clicked element and its ancestors) read back
into element objects, as ``posthog/models/element/element.py`` ``chain_to_elements`` does.

The chain comes from the network, so the patterns run on RE2 (linear time) and only the
first ``MAX_CHAIN_CHARS`` characters are read.
"""

from __future__ import annotations

from typing import Any

import re2

MAX_CHAIN_CHARS = 64 * 1024
_ELEMENT = re2.compile(r'(?:[^\s;"]|"(?:\\.|[^"])*")+')
_CLASS_ATTRIBUTES = re2.compile(r"(.*?)($|:([a-zA-Z\-\_0-9]*=.*))")
_ATTRIBUTE = re2.compile(r'((.*?)="(.*?[^\\])")')
_FIELDS = {"href": "href", "text": "text", "attr_id": "attr_id"}


def chain_to_elements(chain: str | None) -> list[dict[str, Any]]:
    if not chain:
        return []
    elements = []
    for order, text in enumerate(_ELEMENT.findall(chain[:MAX_CHAIN_CHARS])):
        match = _CLASS_ATTRIBUTES.search(text)
        head, rest = (match.group(1), match.group(3) or "") if match else (text, "")
        element: dict[str, Any] = {
            "event": None, "text": None, "tag_name": None, "attr_class": None, "href": None,
            "attr_id": None, "nth_child": None, "nth_of_type": None, "attributes": {},
            "order": order,
        }
        if head:
            tag, *classes = head.split(".")
            element["tag_name"] = tag
            element["attr_class"] = classes or None
        for _, key, value in _ATTRIBUTE.findall(rest):
            if key in _FIELDS:
                element[_FIELDS[key]] = value
            elif key in ("nth-child", "nth-of-type"):
                if value.isascii() and value.isdigit() and len(value) < 10:
                    element[key.replace("-", "_")] = int(value)
            elif key:
                element["attributes"][key] = value
        elements.append(element)
    return elements
