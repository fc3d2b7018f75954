"""Load the Function App: import function_app.py, find the app object, index its functions once."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import azure.functions as func


@dataclass
class FunctionInfo:
    name: str
    fn: Callable[..., Any]
    trigger: dict
    bindings: list[dict]
    is_async: bool
    params: set[str]
    client_param: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def trigger_type(self) -> str:
        return self.trigger.get("type", "")

    @property
    def trigger_param(self) -> str:
        return self.trigger.get("name", "")


def find_app(module) -> func.FunctionRegister:
    preferred = getattr(module, "app", None)
    if isinstance(preferred, func.FunctionRegister):
        return preferred
    for value in vars(module).values():
        if isinstance(value, func.FunctionRegister):
            return value
    raise RuntimeError(f"{module.__file__} defines no FunctionApp/DFApp object")


def _params(fn: Callable) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def load_functions(app_dir: Path, module_name: str = "function_app") -> list[FunctionInfo]:
    app_dir = app_dir.resolve()
    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    if module_name in sys.modules:
        module = sys.modules[module_name]
    else:
        module = importlib.import_module(module_name)
    app = find_app(module)
    infos: list[FunctionInfo] = []
    for f in app.get_functions():  # once per app object: a second call raises "not unique"
        bindings = json.loads(f.get_function_json())["bindings"]
        trigger = next((b for b in bindings if b.get("type", "").endswith("Trigger")), None)
        if trigger is None:
            continue
        client = next((b["name"] for b in bindings if b.get("type") == "durableClient"), None)
        fn = f.get_user_function()
        infos.append(FunctionInfo(
            name=f.get_function_name(),
            fn=fn,
            trigger=trigger,
            bindings=bindings,
            is_async=inspect.iscoroutinefunction(fn),
            params=_params(fn),
            client_param=client,
        ))
    return infos
