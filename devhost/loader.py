"""Load the Function App: import function_app.py, find the app object, index its functions once."""

from __future__ import annotations

import importlib.util
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


class AppNotFound(Exception):
    """The app dir holds no function_app.py (devhost must not fall back to another folder's app)."""


def app_file(app_dir: Path, module_name: str = "function_app") -> Path:
    """The app's entry file in `app_dir`; AppNotFound when it is not there."""
    path = app_dir.resolve() / f"{module_name}.py"
    if not path.is_file():
        raise AppNotFound(f"{app_dir.resolve()} has no {module_name}.py: --app-dir must name the folder "
                          f"that holds the Function App ({module_name}.py, host.json)")
    return path


def _import_app_module(path: Path, module_name: str):
    """Import the app's module from `path` itself, never a same-named module elsewhere on sys.path."""
    loaded = sys.modules.get(module_name)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").resolve() == path:
        return loaded
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


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
    path = app_file(app_dir, module_name)
    app_dir = path.parent
    # the app's own packages (imported by function_app.py) resolve from its folder first
    if str(app_dir) in sys.path:
        sys.path.remove(str(app_dir))
    sys.path.insert(0, str(app_dir))
    app = find_app(_import_app_module(path, module_name))
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
