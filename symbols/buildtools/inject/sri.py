"""Subresource Integrity: ``integrity=`` attributes in a build's HTML that pin scripts.

Injecting a script changes its bytes, so a browser would refuse a ``<script>`` (or a
``<link rel="modulepreload">``) whose ``integrity`` holds the old hash. ``find_pins``
finds the attributes that name a script under the build directory (by a relative path, a
path from the build's root, or a URL whose path is one); ``rewrite`` puts the hashes of
the new bytes in, with the same algorithms, keeping everything else of the HTML as it is.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pathspec import GitIgnoreSpec

from .model import InjectError
from .pairing import files_under

HTML_SUFFIXES = (".html", ".htm")
_ALGORITHMS = ("sha256", "sha384", "sha512")
_TAG_RE = re.compile(r"<(?:script|link)\b[^>]*>", re.IGNORECASE)
_ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
# HTML over this size is not a page a bundler wrote; it is not read.
_MAX_HTML_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Pin:
    """One ``integrity`` value: where it is in its HTML file and the script it pins."""

    html: Path
    start: int
    end: int
    script: Path
    algorithms: tuple[str, ...]


def _target(directory: Path, html: Path, ref: str) -> Path | None:
    parts = urlsplit(ref.strip())
    if parts.scheme not in ("", "http", "https"):
        return None
    path = unquote(parts.path)
    if not path:
        return None
    base = directory if path.startswith("/") or parts.netloc else html.parent
    return (base / path.lstrip("/")).resolve()


def find_pins(directory: Path, scripts: Sequence[Path], spec: GitIgnoreSpec) -> list[Pin]:
    """The integrity attributes of the HTML under ``directory`` that pin one of ``scripts``."""
    wanted = {s.resolve(): s for s in scripts}
    pins = []
    for html in files_under(directory, spec, HTML_SUFFIXES):
        if html.stat().st_size > _MAX_HTML_BYTES:
            continue
        text = html.read_text("utf-8", errors="surrogateescape")
        for tag in _TAG_RE.finditer(text):
            attrs = {}
            for attr in _ATTR_RE.finditer(tag.group(0), 1):
                group = next((g for g in (2, 3, 4) if attr.group(g) is not None), None)
                value = attr.group(group) if group else ""
                span = (tag.start() + attr.start(group), tag.start() + attr.end(group)) if group else None
                attrs.setdefault(attr.group(1).lower(), (value, span))
            ref = attrs.get("src") or attrs.get("href")
            integrity = attrs.get("integrity")
            if not ref or not integrity or integrity[1] is None:
                continue
            script = wanted.get(_target(directory, html, ref[0]))
            if script is None:
                continue
            algorithms = tuple(dict.fromkeys(
                token.split("-", 1)[0].lower() for token in integrity[0].split()
                if token.split("-", 1)[0].lower() in _ALGORITHMS
            )) or ("sha384",)
            pins.append(Pin(html, *integrity[1], script, algorithms))
    return pins


def integrity(data: bytes, algorithms: Sequence[str]) -> str:
    return " ".join(f"{a}-{base64.b64encode(hashlib.new(a, data).digest()).decode()}" for a in algorithms)


def rewrite(pins: Sequence[Pin], content: Callable[[Path], bytes], *, dry_run: bool = False,
            write: Callable[[Path, bytes], None]) -> list[Pin]:
    """Put the hash of ``content(script)`` in every pin; the pins whose value changed."""
    changed: list[Pin] = []
    by_html: dict[Path, list[Pin]] = {}
    for pin in pins:
        by_html.setdefault(pin.html, []).append(pin)
    for html, found in by_html.items():
        text = html.read_text("utf-8", errors="surrogateescape")
        for pin in sorted(found, key=lambda p: p.start, reverse=True):
            value = integrity(content(pin.script), pin.algorithms)
            if text[pin.start:pin.end] != value:
                text = text[:pin.start] + value + text[pin.end:]
                changed.append(pin)
        if not dry_run and any(p.html == html for p in changed):
            try:
                write(html, text.encode("utf-8", errors="surrogateescape"))
            except OSError as exc:
                raise InjectError(f"cannot rewrite {html}: {exc.strerror or exc}") from None
    return changed
