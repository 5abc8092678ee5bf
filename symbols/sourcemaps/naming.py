"""Names of functions in the minified source, as paths of identifier nodes and strings.

The rules are in `scopes.py`'s docstring. A path keeps its last `_MAX_PARTS` parts, so
that names inside deeply nested objects stay cheap to build; nothing here recurses along
the tree, so deep member chains and nested objects cost loops, not stack.
"""

from __future__ import annotations

ANONYMOUS = "<anonymous>"
_NAMED = {"function_declaration", "generator_function_declaration", "function_expression",
          "generator_function"}
_IDENTIFIERS = {"identifier", "property_identifier", "private_property_identifier",
                "shorthand_property_identifier", "this", "super"}
_MAX_PARTS = 32


class Namer:
    """Builds name paths as lists of identifier nodes or literal strings.

    `parents` maps a node id to its parent, for the kinds `scopes._CONTEXTS` lists. Nothing here
    recurses along the tree: deep member chains and nested objects are walked in loops.
    """

    def __init__(self, parents: dict) -> None:
        self.parents = parents
        self.objects: dict[int, list] = {}

    def function(self, node) -> list:
        kind = node.type
        if kind == "method_definition":
            path = self.owner(self.parents.get(node.id)) + self.path(node.child_by_field_name("name"))
            return path[-_MAX_PARTS:]
        if kind in _NAMED:
            own = node.child_by_field_name("name")
            if own is not None:
                return [own]
        outer, parts = self._binding(node)
        return (self.owner(outer) + parts)[-_MAX_PARTS:] or [ANONYMOUS]

    def _binding(self, node) -> tuple[object | None, list]:
        """What `node` (a value) is assigned to: (container or None, parts), the path being
        the container's (see `owner`) followed by the parts; (None, []) for nothing."""
        parent = self.parents.get(node.id)
        while parent is not None and parent.type == "parenthesized_expression":
            node, parent = parent, self.parents.get(parent.id)
        if parent is None:
            return None, []
        kind = parent.type
        if kind == "variable_declarator" and parent.child_by_field_name("value") == node:
            return None, self.path(parent.child_by_field_name("name"))
        if kind in ("assignment_expression", "assignment_pattern") and parent.child_by_field_name("right") == node:
            return None, self.path(parent.child_by_field_name("left"))
        if kind == "pair" and parent.child_by_field_name("value") == node:
            return self.parents.get(parent.id), self.path(parent.child_by_field_name("key"))
        if kind == "field_definition":
            return self.parents.get(parent.id), self.path(parent.child_by_field_name("property"))
        if kind == "arguments" and node.type == "object":
            return None, self._mixed_into(node, parent)
        return None, []

    def _mixed_into(self, node, arguments) -> list:
        """The path an object literal's members are copied onto: `Object.assign(X, {...})`
        -> X, `X.extend({...})` -> X (jQuery's and Backbone's mixins); else nothing."""
        call = self.parents.get(arguments.id)
        callee = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
        if callee is None or callee.type != "member_expression":
            return []
        method = callee.child_by_field_name("property").text
        if method == b"extend":
            return self.path(callee.child_by_field_name("object"))
        first = arguments.named_children[0] if arguments.named_child_count else None
        if method == b"assign" and first is not None and first != node:
            return self.path(first)
        return []

    def _container(self, container) -> tuple[object | None, list]:
        """One step of `owner`: (enclosing container or None, parts), as `_binding`."""
        if container.type == "class_body":
            cls = self.parents.get(container.id)
            own = cls.child_by_field_name("name") if cls is not None else None
            if own is not None:
                return None, [own]
            return self._binding(cls) if cls is not None else (None, [])
        if container.type == "object":
            return self._binding(container)
        return None, []

    def owner(self, container) -> list:
        """The path of an object literal or class body (the thing before `.method`)."""
        pending = []  # containers out to the first one known, innermost first
        while container is not None and container.id not in self.objects:
            outer, parts = self._container(container)
            pending.append((container.id, parts))
            container = outer
        path = [] if container is None else self.objects[container.id]
        for key, parts in reversed(pending):
            path = self.objects[key] = (path + parts)[-_MAX_PARTS:]
        return path

    def path(self, node, depth: int = 0) -> list:
        """The parts of a name expression (`a.b["c"]` -> a, b, "c"), from its end inwards."""
        reversed_parts: list = []
        while node is not None and len(reversed_parts) < _MAX_PARTS:
            kind = node.type
            if kind == "member_expression":
                reversed_parts.extend(reversed(self.path(node.child_by_field_name("property"), depth + 1)))
            elif kind == "subscript_expression" and depth < _MAX_PARTS:
                reversed_parts.extend(reversed(self.path(node.child_by_field_name("index"), depth + 1)))
            else:
                reversed_parts.extend(reversed(_leaf(node)))
                break
            node = node.child_by_field_name("object")
        return reversed_parts[:_MAX_PARTS][::-1]


def _leaf(node) -> list:
    kind = node.type
    if kind in _IDENTIFIERS:
        return [node]
    if kind == "string":
        return [node.text[1:-1].decode("utf-8", "replace")]
    if kind in ("number", "computed_property_name"):
        return [node.text.decode("utf-8", "replace")]
    return []


__all__ = ["ANONYMOUS", "Namer"]
