"""Functions named when the map has no name token where a function is declared: the
original identifier read from sourcesContent, never a minified one; constructors."""

from __future__ import annotations

import json

from symbols.sourcemaps import parse_source_map
from symbols.sourcemaps.vlq import encode_mappings


def mapped(minified: str, segments: list[list[tuple]], *, content: str | None, names: list[str] = ()):
    doc = {"version": 3, "sources": ["src/a.js"], "names": list(names),
           "mappings": encode_mappings(segments)}
    if content is not None:
        doc["sourcesContent"] = [content]
    return parse_source_map(json.dumps(doc).encode(), minified_source=minified.encode())


ORIGINAL = "class Cart {\n  #check(item) {\n    return item.ok;\n  }\n}\n"
# swc lowers the private method to a function the minifier renamed `i`.
MINIFIED = "function i(t){return t.ok}"


def test_a_renamed_function_without_a_name_token_takes_the_original_identifier():
    # Segments at "function" -> "#check(" and at "i" -> "#check" (no name token).
    source_map = mapped(MINIFIED, [[(0, 0, 1, 2), (9, 0, 1, 2), (15, 0, 2, 4)]], content=ORIGINAL)
    assert source_map.function_name(0, 16) == "#check"


def test_only_the_function_start_is_mapped_and_the_original_is_read_there():
    source_map = mapped(MINIFIED, [[(0, 0, 1, 2), (15, 0, 2, 4)]], content=ORIGINAL)
    assert source_map.function_name(0, 16) == "#check"


def test_without_sources_content_a_minified_name_becomes_anonymous():
    source_map = mapped(MINIFIED, [[(0, 0, 1, 2), (15, 0, 2, 4, 0)]], content=None, names=["ok"])
    assert source_map.function_name(0, 16) == "<anonymous>"


def test_a_name_mapped_without_a_new_name_was_not_renamed():
    # The segment starts exactly at the name and carries none: the minifier kept it.
    source = "function total(t){return t.ok}"
    source_map = mapped(source, [[(0, 0, 0, 0), (9, 0, 0, 9), (18, 0, 1, 4, 0)]], content=None, names=["ok"])
    assert source_map.function_name(0, 20) == "total"


def test_maps_without_names_keep_the_generated_names():
    # No name tokens at all (tsc, Babel without minification): nothing was renamed.
    source = "function total(t){return t.ok}"
    source_map = mapped(source, [[(0, 0, 0, 0), (18, 0, 1, 4)]], content=None)
    assert source_map.function_name(0, 20) == "total"


def test_constructors_are_new_klass():
    original = "class Basket {\n  constructor(items) {\n    this.items = items;\n  }\n}\n"
    minified = "class s{constructor(t){this.items=t}}"
    source_map = mapped(minified, [[(0, 0, 0, 0), (6, 0, 0, 6, 0), (8, 0, 1, 2), (23, 0, 2, 4)]],
                        content=original, names=["Basket"])
    assert source_map.function_name(0, 24) == "new Basket"


def test_members_copied_onto_an_object_are_named_by_it():
    source = ("jQuery.extend({each:function(t){return t}});"
              "Object.assign(handlers,{onReserve(t){return t}});"
              "f({m(){return 1}});")
    source_map = mapped(source, [[(0, 0, 0, 0)]], content=None)
    names = source_map.scopes.names
    assert {names[int(i)] for i in source_map.scopes.name} == {"jQuery.each", "handlers.onReserve", "m"}
