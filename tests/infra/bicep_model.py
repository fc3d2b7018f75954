"""A small reader of Bicep files built on tree-sitter-bicep (the Bicep CLI cannot run here).

It answers the questions the infra tests ask: which resources (type@api) a file declares and with what
literal properties, which modules main.bicep calls with what parameters, which app settings the
templates set, and where a file fails to parse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import tree_sitter_bicep
from tree_sitter import Language, Node, Parser

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BICEP_DIR = PROJECT_ROOT / "infra" / "bicep"
MAIN = BICEP_DIR / "main.bicep"


@cache
def _parser() -> Parser:
    return Parser(Language(tree_sitter_bicep.language()))


def parse_bytes(source: bytes):
    return _parser().parse(source)


def bicep_files() -> list[Path]:
    return sorted(BICEP_DIR.rglob("*.bicep"))


def syntax_errors(source: bytes, name: str = "<bicep>") -> list[str]:
    """`name:line:col: ERROR near '...'` (or MISSING x) for every error node, 1-based lines."""
    problems: list[str] = []

    def walk(node: Node) -> None:
        if node.type == "ERROR" or node.is_missing:
            line, col = node.start_point
            what = f"MISSING {node.type}" if node.is_missing else "ERROR"
            snippet = source[node.start_byte:node.end_byte][:40].decode("utf-8", "replace")
            problems.append(f"{name}:{line + 1}:{col + 1}: {what} near {snippet!r}")
            if node.type == "ERROR":
                return
        for child in node.children:
            walk(child)

    walk(parse_bytes(source).root_node)
    return problems


def text(node: Node | None) -> str:
    return "" if node is None else node.text.decode("utf-8")


def string_value(node: Node | None) -> str | None:
    """The value of a plain string literal ('abc'), None for interpolated strings and other nodes."""
    if node is None or node.type != "string":
        return None
    parts = [c for c in node.named_children]
    if all(c.type in ("string_content", "escape_sequence") for c in parts):
        return "".join(text(c) if c.type == "string_content" else _unescape(text(c)) for c in parts)
    return None


def _unescape(seq: str) -> str:
    return {"\\'": "'", "\\\\": "\\", "\\n": "\n", "\\t": "\t", "\\$": "$"}.get(seq, seq)


def key_of(prop: Node) -> str:
    key = prop.named_children[0]
    return string_value(key) if key.type == "string" else text(key)


def object_props(obj: Node | None) -> dict[str, Node]:
    """Key → value node of an object literal (empty for anything else)."""
    if obj is None or obj.type != "object":
        return {}
    result = {}
    for prop in obj.named_children:
        if prop.type == "object_property" and len(prop.named_children) >= 2:
            result[key_of(prop)] = prop.named_children[-1]
    return result


def get_path(obj: Node | None, *keys: str) -> Node | None:
    node = obj
    for key in keys:
        node = object_props(node).get(key)
        if node is None:
            return None
    return node


def literal(node: Node | None):
    """Python value of a literal node (string, number, bool, null, array, object); else its source."""
    if node is None:
        return None
    kind = node.type
    if kind == "string":
        value = string_value(node)
        return value if value is not None else text(node)
    if kind == "number":
        return int(text(node))
    if kind == "boolean":
        return text(node) == "true"
    if kind == "null":
        return None
    if kind == "array":
        return [literal(c) for c in node.named_children]
    if kind == "object":
        return {k: literal(v) for k, v in object_props(node).items()}
    return text(node)


@dataclass
class Declaration:
    kind: str  # resource | module
    symbol: str
    target: str  # 'Microsoft.X/y@api' or 'modules/x.bicep'
    body: Node  # the object literal
    existing: bool = False
    condition: str | None = None  # source of the `if (...)` condition
    loop: bool = False
    decorators: list[str] = field(default_factory=list)
    line: int = 0

    @property
    def type(self) -> str:
        return self.target.split("@", 1)[0]

    @property
    def api_version(self) -> str:
        return self.target.split("@", 1)[1] if "@" in self.target else ""

    def get(self, *keys: str) -> Node | None:
        return get_path(self.body, *keys)

    def value(self, *keys: str):
        return literal(self.get(*keys))


@dataclass
class BicepFile:
    path: Path
    root: Node
    resources: list[Declaration]
    modules: list[Declaration]
    params: dict[str, tuple[str, Node | None, list[str]]]  # name → (type, default, decorators)
    variables: dict[str, Node]
    outputs: dict[str, Node]

    @property
    def name(self) -> str:
        return self.path.relative_to(PROJECT_ROOT).as_posix()

    def resources_of(self, type_: str) -> list[Declaration]:
        return [r for r in self.resources if r.type.lower() == type_.lower()]

    def resource(self, symbol: str) -> Declaration | None:
        return next((r for r in self.resources if r.symbol == symbol), None)

    def module(self, symbol: str) -> Declaration | None:
        return next((m for m in self.modules if m.symbol == symbol), None)

    def param_default(self, name: str):
        return literal(self.params[name][1])

    def expand(self, node: Node | None, depth: int = 2) -> str:
        """Source of `node` with references to this file's variables replaced by their source
        (`depth` levels), so a GUID held in a variable is visible in the expression's text."""
        source = text(node)
        if node is None or depth == 0:
            return source
        pieces: list[tuple[int, int, str]] = []

        def walk(n: Node) -> None:
            if n.type == "identifier" and text(n) in self.variables:
                parent = n.parent
                is_member_name = parent is not None and parent.type == "member_expression" and n != parent.child(0)
                if not is_member_name:
                    pieces.append((n.start_byte, n.end_byte, self.expand(self.variables[text(n)], depth - 1)))
                    return
            for c in n.children:
                walk(c)

        walk(node)
        base = node.start_byte
        out = source.encode("utf-8")
        for start, end, replacement in sorted(pieces, reverse=True):
            out = out[:start - base] + replacement.encode("utf-8") + out[end - base:]
        return out.decode("utf-8")


def _decorators_before(node: Node) -> list[str]:
    prev = node.prev_named_sibling
    if prev is not None and prev.type == "decorators":
        return [text(d) for d in prev.named_children]
    return []


def _declaration(node: Node, kind: str) -> Declaration | None:
    children = node.named_children
    symbol = text(children[0])
    target = string_value(children[1]) or text(children[1])
    existing = any(c.type == "existing" for c in node.children)
    value = children[-1]
    condition, loop = None, False
    if value.type == "if_statement":
        condition = text(value.named_children[0])
        value = value.named_children[-1]
    elif value.type == "for_statement":
        loop = True
        value = value.child_by_field_name("body") or value.named_children[-1]
        if value.type == "if_statement":
            condition = text(value.named_children[0])
            value = value.named_children[-1]
    if value.type != "object":
        return None
    return Declaration(kind, symbol, target, value, existing, condition, loop, _decorators_before(node),
                       node.start_point[0] + 1)


@cache
def load(path: Path) -> BicepFile:
    tree = parse_bytes(path.read_bytes())
    root = tree.root_node
    resources, modules, params, variables, outputs = [], [], {}, {}, {}
    for node in root.named_children:
        if node.type == "resource_declaration":
            decl = _declaration(node, "resource")
            if decl:
                resources.append(decl)
        elif node.type == "module_declaration":
            decl = _declaration(node, "module")
            if decl:
                modules.append(decl)
        elif node.type == "parameter_declaration":
            named = node.named_children
            default = named[2] if len(named) > 2 else None
            params[text(named[0])] = (text(named[1]), default, _decorators_before(node))
        elif node.type == "variable_declaration":
            named = node.named_children
            variables[text(named[0])] = named[-1]
        elif node.type == "output_declaration":
            named = node.named_children
            outputs[text(named[0])] = named[-1]
    return BicepFile(path, root, resources, modules, params, variables, outputs)


def all_files() -> list[BicepFile]:
    return [load(p) for p in bicep_files()]


def all_resources() -> list[tuple[BicepFile, Declaration]]:
    return [(f, r) for f in all_files() for r in f.resources]


def object_keys_in(node: Node | None, bicep: BicepFile) -> set[str]:
    """Keys of the object literal(s) an expression builds: an object, union(...)/spread of objects,
    or a variable holding one."""
    if node is None:
        return set()
    if node.type == "object":
        keys = set(object_props(node))
        for child in node.named_children:  # `...spread` of another object
            if child.type not in ("object_property",):
                keys |= object_keys_in(child.named_children[-1] if child.named_children else None, bicep)
        return keys
    if node.type == "call_expression" and text(node.child_by_field_name("function")) == "union":
        keys: set[str] = set()
        for arg in node.child_by_field_name("arguments").named_children:
            keys |= object_keys_in(arg, bicep)
        return keys
    if node.type == "identifier" and text(node) in bicep.variables:
        return object_keys_in(bicep.variables[text(node)], bicep)
    return set()
