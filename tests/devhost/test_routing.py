"""Route templates and host configuration, without a server."""

from __future__ import annotations

import json

import pytest

from devhost.config import apply_local_settings, load_config, local_http_port
from devhost.routing import RouteTemplate


@pytest.mark.parametrize("template,path,expected", [
    ("items/{id:int}", "items/12", {"id": "12"}),
    ("items/{id:int}", "items/ab", None),
    ("items/{id:int:min(5)}", "items/3", None),
    ("items/{id:int:range(1,9)}", "items/9", {"id": "9"}),
    ("files/{*path}", "files/a/b/c", {"path": "a/b/c"}),
    ("files/{*path}", "files", {}),
    ("opt/{name?}", "opt", {}),
    ("opt/{name?}", "opt/x", {"name": "x"}),
    ("opt/{name=dflt}", "opt", {"name": "dflt"}),
    ("Hello/{name:alpha}", "hello/World", {"name": "World"}),
    ("g/{id:guid}", "g/0f8fad5b-d9cb-469f-a165-70867728950e", {"id": "0f8fad5b-d9cb-469f-a165-70867728950e"}),
    ("g/{id:guid}", "g/not-a-guid", None),
    ("f/{name}.{ext}", "f/photo.png", {"name": "photo", "ext": "png"}),
    ("s/{v:minlength(3)}", "s/ab", None),
    ("b/{flag:bool}", "b/True", {"flag": "True"}),
    ("d/{day:datetime}", "d/2026-11-25", {"day": "2026-11-25"}),
    ("plain", "plain/extra", None),
])
def test_route_templates(template, path, expected):
    assert RouteTemplate(template).match(path) == expected


def test_literal_routes_sort_before_parameters():
    routes = sorted([RouteTemplate("items/{*rest}"), RouteTemplate("items/{id}"), RouteTemplate("items/new"),
                     RouteTemplate("items/{id:int}")], key=lambda r: r.sort_key())
    assert [r.template for r in routes] == ["items/new", "items/{id:int}", "items/{id}", "items/{*rest}"]


def test_host_json_and_local_settings(tmp_path, monkeypatch):
    (tmp_path / "host.json").write_text(json.dumps({
        "version": "2.0",
        "extensions": {"http": {"routePrefix": ""}, "durableTask": {"hubName": "H1",
                                                                    "maxConcurrentActivityFunctions": 3}}}))
    (tmp_path / "local.settings.json").write_text(json.dumps({"Values": {"DEVHOST_T_A": "file",
                                                                          "DEVHOST_T_B": "file"}}))
    monkeypatch.setenv("DEVHOST_T_A", "env")  # the environment wins over the file
    monkeypatch.delenv("DEVHOST_T_B", raising=False)
    monkeypatch.setenv("DEVHOST_FUNCTION_KEY", "fk")
    monkeypatch.setenv("DEVHOST_MASTER_KEY", "mk")
    cfg = load_config(tmp_path, 7999, None)
    import os
    assert os.environ["DEVHOST_T_A"] == "env" and os.environ["DEVHOST_T_B"] == "file"
    monkeypatch.delenv("DEVHOST_T_B")
    assert cfg.route_prefix == "" and cfg.hub_name == "H1" and cfg.max_activities == 3
    assert cfg.function_keys == {"fk"} and cfg.master_key == "mk" and not cfg.generated_keys
    assert cfg.data_dir == (tmp_path / ".data" / "devhost").resolve()
    before = dict(os.environ)
    apply_local_settings(tmp_path / "missing")  # no file: nothing happens
    assert dict(os.environ) == before
    assert local_http_port(tmp_path) is None
    (tmp_path / "local.settings.json").write_text(json.dumps({"Values": {}, "Host": {"LocalHttpPort": 7181}}))
    assert local_http_port(tmp_path) == 7181
