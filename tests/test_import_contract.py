"""The architecture's import contract: the engine never imports the UI, and layers only import downward.

The module list is derived from the tree, so a new module is checked the day it is added.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UI = ("textual", "rich", "tui", "textual_plotext")
# runners' sub-packages by layer: a module may import its own package and packages of a lower layer only.
LAYERS: dict[str, int] = {
    "model": 0,
    "k6": 1,
    "rules": 1,
    "record": 1,
    "demo": 1,
    "config": 2,
    "report": 2,
    "engine": 3,
    "session": 4,
    "cli": 5,
}


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def _package_of(path: Path) -> str:
    parts = path.relative_to(ROOT / "runners").parts
    return parts[0] if len(parts) > 1 else path.stem


def _dotted(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _violations(path: Path) -> list[str]:
    """What one module imports that the contract forbids."""
    top = path.relative_to(ROOT).parts[0]
    bad: list[str] = []
    for name in sorted(_imports(path)):
        head = name.split(".")[0]
        if top == "collectors" and head in {"runners", *UI}:
            bad.append(f"collectors may not import {name}")
        if top != "runners" or head not in {"runners", *UI}:
            continue
        layer = _package_of(path)
        if layer == "cli":
            continue  # the composition root
        if head in UI:
            bad.append(f"runners.{layer} may not import {name}")
            continue
        parts = name.split(".")
        if len(parts) < 2 or parts[1] == layer:
            continue
        if parts[1] not in LAYERS:
            continue  # an attribute of runners/__init__
        if LAYERS.get(parts[1], 99) >= LAYERS.get(layer, -1):
            bad.append(
                f"runners.{layer} (layer {LAYERS.get(layer)}) may not import {name} (layer {LAYERS[parts[1]]})"
            )
    return [f"{path.relative_to(ROOT)}: {b}" for b in bad]


def test_every_runners_package_has_a_layer() -> None:
    packages = {
        _package_of(p) for p in _modules("runners") if p.parent != ROOT / "runners" or p.stem != "__init__"
    }
    assert packages <= set(LAYERS), f"give these packages a layer: {sorted(packages - set(LAYERS))}"


def test_layers_only_import_downward_and_never_the_ui() -> None:
    modules = _modules("runners") + _modules("collectors")
    assert len(modules) > 80  # the list is derived, not written by hand
    problems = [v for m in modules for v in _violations(m)]
    assert not problems, "\n".join(problems)


def test_the_contract_catches_a_forbidden_import(tmp_path: Path) -> None:
    planted = ROOT / "runners" / "rules" / "_contract_probe.py"
    planted.write_text("from textual.app import App\nfrom runners.engine import live\n")
    try:
        problems = _violations(planted)
    finally:
        planted.unlink()
    assert any("may not import textual.app" in p for p in problems)
    assert any("may not import runners.engine" in p for p in problems)


@pytest.mark.parametrize("package", ["collectors", "runners"])
def test_importing_every_module_loads_no_ui(package: str) -> None:
    names = [_dotted(p) for p in _modules(package) if p != ROOT / "runners" / "cli.py"]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        f"    bad = [m for m in {UI!r} if m in sys.modules]\n"
        "    if bad: sys.exit(f'{name} loaded {bad}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
