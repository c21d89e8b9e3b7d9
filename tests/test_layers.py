"""The layers run one way: a module imports only its own layer or the ones below it
(docs/architecture.md draws them). Contract modules (`*.contract`) are declarations any layer may
read; they import nothing of the project but common.contracts."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# lowest first: the ground, the warehouse, who a model belongs to, the datasets, the mart
# transforms, the engines, the reports, the Prefect flows, the command line
LAYERS = ["common", "warehouse", "attribution", "datasets", "marts", "engine", "reports", "flows", "aigap"]
IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]+)|import[ \t]+([^\n]+))", re.M)


def project_modules() -> dict[str, Path]:
    return {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): path
        for layer in LAYERS
        for path in (ROOT / layer).rglob("*.py")
    }


def imported(path: Path) -> set[str]:
    names = set()
    for module, _, modules in IMPORT.findall(path.read_text(encoding="utf-8")):
        for name in [module] if module else re.findall(r"([\w.]+)(?:\s+as\s+\w+)?", modules):
            if name.split(".")[0] in LAYERS:
                names.add(name)
    return names


def layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def test_every_import_runs_down_the_layers():
    upward = [
        f"{module} ({LAYERS[layer(module)]}) imports {name} ({LAYERS[layer(name)]})"
        for module, path in project_modules().items()
        for name in imported(path)
        if layer(name) > layer(module) and not name.endswith(".contract")
    ]
    assert upward == []


def test_contract_modules_import_only_the_contract_types():
    contracts = {m: p for m, p in project_modules().items() if m.endswith(".contract")}
    assert len(contracts) >= 6
    for module, path in contracts.items():
        assert imported(path) <= {"common.contracts"}, module


def test_no_module_imports_a_private_name_of_another():
    private = re.compile(r"^[ \t]*from[ \t]+([\w.]+)[ \t]+import[ \t]+\(?([^)\n]*)", re.M)
    borrowed = [
        f"{module} imports {name.strip()} from {source}"
        for module, path in project_modules().items()
        for source, names in private.findall(path.read_text(encoding="utf-8"))
        if source.split(".")[0] in LAYERS and source != module
        for name in names.split(",")
        if name.strip().startswith("_")
    ]
    assert borrowed == []
