"""Route templates as the Functions host reads them: {name}, {name:int}, {name?}, {*rest}, {name=default}."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

_TYPE_PATTERNS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "alpha": r"[A-Za-z]+",
    "bool": r"(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])",
    "guid": r"\{?[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}\}?",
    "double": r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?",
    "float": r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
    "datetime": r"[^/]+",
}


def _check(kind: str, arg: str | None) -> Callable[[str], bool]:
    def num(v):
        try:
            return float(v)
        except ValueError:
            return None

    if kind == "minlength":
        return lambda v: len(v) >= int(arg)
    if kind == "maxlength":
        return lambda v: len(v) <= int(arg)
    if kind == "length":
        if "," in arg:
            lo, hi = (int(x) for x in arg.split(","))
            return lambda v: lo <= len(v) <= hi
        return lambda v: len(v) == int(arg)
    if kind == "min":
        return lambda v: num(v) is not None and num(v) >= float(arg)
    if kind == "max":
        return lambda v: num(v) is not None and num(v) <= float(arg)
    if kind == "range":
        lo, hi = (float(x) for x in arg.split(","))
        return lambda v: num(v) is not None and lo <= num(v) <= hi
    if kind == "regex":
        rx = re.compile(arg, re.IGNORECASE)
        return lambda v: rx.search(v) is not None
    if kind == "datetime":
        def is_dt(v):
            try:
                datetime.fromisoformat(v)
                return True
            except ValueError:
                return False
        return is_dt
    if kind == "guid":
        def is_guid(v):
            try:
                uuid.UUID(v)
                return True
            except ValueError:
                return False
        return is_guid
    if kind in _TYPE_PATTERNS:
        rx = re.compile(_TYPE_PATTERNS[kind] + r"\Z")
        return lambda v: rx.match(v) is not None
    raise ValueError(f"unknown route constraint {kind!r}")


def _split_constraints(spec: str) -> list[tuple[str, str | None]]:
    """'int:min(1)' -> [('int', None), ('min', '1')] (regex(...) may hold ':' and parentheses)."""
    out, i = [], 0
    while i < len(spec):
        m = re.match(r"([A-Za-z]+)", spec[i:])
        if not m:
            raise ValueError(f"bad route constraint {spec!r}")
        name = m.group(1)
        i += len(name)
        arg = None
        if i < len(spec) and spec[i] == "(":
            depth, j = 0, i
            while j < len(spec):
                if spec[j] == "(":
                    depth += 1
                elif spec[j] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            arg = spec[i + 1:j]
            i = j + 1
        out.append((name.lower(), arg))
        if i < len(spec) and spec[i] == ":":
            i += 1
    return out


@dataclass
class Param:
    name: str
    optional: bool = False
    catch_all: bool = False
    default: str | None = None
    checks: list[Callable[[str], bool]] = field(default_factory=list)
    pattern: str = r"[^/]+"


_TOKEN = re.compile(r"\{([^{}]*)\}")


def _parse_param(body: str) -> Param:
    catch_all = body.startswith("*")
    body = body.lstrip("*")
    default = None
    if "=" in body:
        body, default = body.split("=", 1)
    optional = body.endswith("?") or default is not None
    body = body.rstrip("?")
    name, _, spec = body.partition(":")
    p = Param(name=name.strip(), optional=optional, catch_all=catch_all, default=default)
    if spec:
        for kind, arg in _split_constraints(spec):
            if kind in _TYPE_PATTERNS and arg is None and p.pattern == r"[^/]+":
                p.pattern = _TYPE_PATTERNS[kind]
            p.checks.append(_check(kind, arg))
    if catch_all:
        p.pattern = r".*"
    return p


class RouteTemplate:
    def __init__(self, template: str):
        self.template = template.strip("/")
        self.params: dict[str, Param] = {}
        regex, rank = [], []
        segments = [s for s in self.template.split("/")] if self.template else []
        for i, seg in enumerate(segments):
            sep = "/" if i else ""
            whole = _TOKEN.fullmatch(seg)
            if whole:
                p = _parse_param(whole.group(1))
                group = f"p{len(self.params)}"
                self.params[group] = p
                if p.catch_all or p.optional:
                    regex.append(f"(?:{sep}(?P<{group}>{p.pattern}))?")
                    rank.append(4 if p.catch_all else 3)
                else:
                    regex.append(f"{sep}(?P<{group}>{p.pattern})")
                    rank.append(1 if p.checks else 2)
                continue
            parts, pos, has_param = [], 0, False
            for m in _TOKEN.finditer(seg):
                parts.append(re.escape(seg[pos:m.start()]))
                p = _parse_param(m.group(1))
                group = f"p{len(self.params)}"
                self.params[group] = p
                parts.append(f"(?P<{group}>{p.pattern if p.pattern != r'[^/]+' else r'[^/]+?'})")
                pos = m.end()
                has_param = True
            parts.append(re.escape(seg[pos:]))
            regex.append(sep + "".join(parts))
            rank.append(1 if has_param else 0)
        self.regex = re.compile("^" + "".join(regex) + "/?$", re.IGNORECASE)
        self.rank = tuple(rank)

    def match(self, path: str) -> dict[str, str] | None:
        m = self.regex.match(path.strip("/") if path != "/" else "")
        if not m:
            return None
        values: dict[str, str] = {}
        for group, p in self.params.items():
            value = m.group(group)
            if value is None or value == "":
                if p.optional or p.catch_all:
                    if p.default is not None:
                        values[p.name] = p.default
                    continue
                return None
            if not all(check(value) for check in p.checks):
                return None
            values[p.name] = value
        return values

    def sort_key(self):
        # Literal segments before constrained parameters before plain ones before optional/catch-all.
        return (self.rank, -len(self.rank))
