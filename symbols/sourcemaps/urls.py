"""Source URLs: `sourceRoot` joined to each source as URLs, dot segments removed.

The map's own URL is not known to the engine, so relative results stay relative:
`theroot` + `../a.js` is `a.js`, and `..` segments that climb above the start are kept
(`../a.js` stays `../a.js`). A source with a scheme (`webpack://`, `https://`) or, under a
path-only root, a leading `/` is used as is (dot segments aside), like URL resolution.
"""

from __future__ import annotations

import re

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_PREFIX = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?(?://[^/?#]*)?")


def resolve_source(source_root: str | None, source: str) -> str:
    """The URL of `source` under `source_root` (either may be relative)."""
    if not source_root or _SCHEME.match(source):
        return normalize_url(source)
    if source.startswith("//"):
        scheme = _SCHEME.match(source_root)
        return normalize_url((scheme.group(0) if scheme else "") + source)
    if source.startswith("/"):
        prefix = _PREFIX.match(source_root).group(0)
        return normalize_url(prefix + source)
    root = source_root if source_root.endswith("/") else source_root + "/"
    return normalize_url(root + source)


def normalize_url(url: str) -> str:
    """Remove `.` and `..` path segments, leaving scheme, host, query and fragment alone."""
    if "./" not in url and ".?" not in url and ".#" not in url and not url.endswith("."):
        return url  # a dot segment is followed by `/`, `?`, `#` or the end: there is none
    prefix = _PREFIX.match(url).group(0)
    rest = url[len(prefix) :]
    cut = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    path, suffix = rest[:cut], rest[cut:]
    if "." not in path:
        return url
    lead = "/" if path.startswith("/") else ""
    # Above the root of an absolute URL `..` has nowhere to go; a relative one keeps it.
    keep_climbing = not (lead or prefix)
    segments = path[len(lead) :].split("/")
    output: list[str] = []
    for position, segment in enumerate(segments):
        if segment not in (".", ".."):
            output.append(segment)
            continue
        if segment == "..":
            if output and output[-1] != "..":
                output.pop()
            elif keep_climbing:
                output.append("..")
        if position == len(segments) - 1:
            output.append("")  # `a/..` and `a/.` name a directory: keep the slash
    return prefix + lead + "/".join(output) + suffix


__all__ = ["normalize_url", "resolve_source"]
