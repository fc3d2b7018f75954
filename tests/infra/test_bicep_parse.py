"""Every .bicep file parses (tree-sitter-bicep stands in for the Bicep CLI, which cannot run here),
main.bicep's modules exist and get the parameters they declare, and main.parameters.json fits main.bicep."""

from __future__ import annotations

import json
import re

import pytest

from tests.infra import bicep_model as bm

FILES = bm.bicep_files()


def test_the_templates_exist():
    names = {p.relative_to(bm.BICEP_DIR).as_posix() for p in FILES}
    assert "main.bicep" in names
    assert len([n for n in names if n.startswith("modules/")]) >= 5


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(bm.BICEP_DIR).as_posix())
def test_bicep_file_parses_without_errors(path):
    errors = bm.syntax_errors(path.read_bytes(), path.relative_to(bm.PROJECT_ROOT).as_posix())
    assert not errors, "syntax errors:\n" + "\n".join(errors)


@pytest.mark.parametrize("source, line", [
    (b"param name string\nresource sa 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: \n}\n", 3),
    (b"var a = 1\nvar b = [\n  1\n", 3),
    (b"output x string = \nparam p int\n", 2),
])
def test_the_checker_reports_broken_bicep_with_its_line(source, line):
    errors = bm.syntax_errors(source, "broken.bicep")
    assert errors, "a broken file must be reported"
    assert any(e.startswith(f"broken.bicep:{line}:") for e in errors), errors


def test_every_module_exists_and_gets_its_required_parameters():
    main = bm.load(bm.MAIN)
    assert main.modules, "main.bicep calls no modules"
    for module in main.modules:
        path = (bm.MAIN.parent / module.target).resolve()
        assert path.is_file(), f"main.bicep:{module.line}: module {module.target} does not exist"
        target = bm.load(path)
        passed = set(bm.object_props(module.get("params")))
        unknown = passed - set(target.params)
        assert not unknown, f"main.bicep:{module.line}: {module.symbol} passes unknown params {sorted(unknown)}"
        required = {name for name, (_, default, _) in target.params.items() if default is None}
        missing = required - passed
        assert not missing, f"main.bicep:{module.line}: {module.symbol} misses required params {sorted(missing)}"
        # main is subscription-scoped: every module deploys into the environment's resource group
        assert bm.text(module.get("scope")) == "rg", f"{module.symbol}: module not scoped to the resource group"
    assert any(r.symbol == "rg" and r.type == "Microsoft.Resources/resourceGroups" for r in main.resources)


def test_module_outputs_used_by_main_exist():
    main = bm.load(bm.MAIN)
    modules = {m.symbol: bm.load((bm.MAIN.parent / m.target).resolve()) for m in main.modules}
    source = bm.MAIN.read_text(encoding="utf-8")
    for symbol, output in re.findall(r"\b(\w+)\.outputs\.(\w+)", source):
        assert symbol in modules, f"{symbol}.outputs.{output}: no module {symbol}"
        assert output in modules[symbol].outputs, f"module {symbol} has no output {output}"


def test_parameters_file_matches_main():
    main = bm.load(bm.MAIN)
    doc = json.loads((bm.BICEP_DIR / "main.parameters.json").read_text(encoding="utf-8"))
    given = doc["parameters"]
    unknown = set(given) - set(main.params)
    assert not unknown, f"main.parameters.json sets parameters main.bicep lacks: {sorted(unknown)}"
    required = {name for name, (_, default, _) in main.params.items() if default is None}
    assert required <= set(given), f"required parameters not in main.parameters.json: {sorted(required - set(given))}"
    assert given["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert given["location"]["value"] == "${AZURE_LOCATION}"
    # azd substitutes ${VAR=default}: each default must agree with main.bicep's own default
    for name, entry in given.items():
        match = re.fullmatch(r"\$\{(\w+)=(.*)\}", str(entry["value"]))
        if match and main.params[name][1] is not None:
            assert str(main.param_default(name)).lower() == match.group(2).lower(), (
                f"{name}: main.parameters.json default {match.group(2)!r} != main.bicep default "
                f"{main.param_default(name)!r}")
