"""Layers point one way, read from the source with `ast` (function-local imports included).

    gui, cli      the two shells (cli may start the gui; the gui never imports the cli)
    model         the networks, training, inference (top-level package `model`)
    core          scoring state, statistics, rules, journal
    io            files in, files out
    bottom        errors, stages (vocabulary + epoch grid), hypnogram, epoch_windows, resources

A module may import its own layer and the layers below it, never above (a back-arrow).
io, core and model never import Qt. No two modules import each other, not even from
inside a function (a lazy import that dodges a cycle is still a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph", "superqt", "qtpy")

# first matching prefix wins: longest prefixes first
LAYERS = {
    "sleepscorer.errors": 0, "sleepscorer.stages": 0, "sleepscorer.hypnogram": 0,
    "sleepscorer.epoch_windows": 0,
    "sleepscorer.resources": 0, "sleepscorer": 0,  # the package's face: __version__ only
    "sleepscorer.io": 1,
    "sleepscorer.core": 2,
    "sleepscorer_model": 3,
    "sleepscorer.gui": 4, "sleepscorer.cli": 4, "sleepscorer.__main__": 5,
}
NAMES = {0: "bottom", 1: "io", 2: "core", 3: "model", 4: "shell", 5: "entry point"}


def _modules() -> dict[str, Path]:
    found = {}
    for top, base in (("sleepscorer", ROOT / "sleepscorer"), ("sleepscorer_model", ROOT / "model"),
                      ("sleepscorer.resources", ROOT / "resources")):
        for path in base.rglob("*.py"):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([top, *parts])] = path
    return found


MODULES = _modules()


def layer_of(module: str) -> int | None:
    for prefix in sorted(LAYERS, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYERS[prefix]
    return None


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def imports_of(module: str) -> list[tuple[str, int]]:
    """(imported module, line) for every import statement anywhere in the module."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if _is_package(module) else module.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            # `from pkg import submodule` imports the submodule
            subs = [f"{name}.{a.name}" for a in node.names if f"{name}.{a.name}" in MODULES]
            out += [(s, node.lineno) for s in subs] or [(name, node.lineno)]
    return out


def _where(module: str) -> str:
    path = MODULES[module]
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def _first_party(name: str) -> str | None:
    """The module of ours that `name` denotes (a package or module), or None."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer_of(m) is None] == []


def test_layers_point_one_way():
    back = []
    for module in MODULES:
        mine = layer_of(module)
        for name, line in imports_of(module):
            target = _first_party(name)
            if target is None:
                continue
            theirs = layer_of(target)
            if theirs > mine or (module.startswith("sleepscorer.gui")
                                 and target.startswith("sleepscorer.cli")):
                back.append(f"{_where(module)}:{line} ({NAMES[mine]}) "
                            f"imports {target} ({NAMES[theirs]})")
    assert back == [], "imports that point up a layer:\n" + "\n".join(back)


@pytest.mark.parametrize("layer", ["sleepscorer.io", "sleepscorer.core", "sleepscorer_model",
                                   "sleepscorer.errors", "sleepscorer.stages",
                                   "sleepscorer.hypnogram", "sleepscorer.epoch_windows"])
def test_no_qt_below_the_shells(layer):
    found = [f"{_where(m)}:{line} imports {name}"
             for m in MODULES if m == layer or m.startswith(layer + ".")
             for name, line in imports_of(m) if name.split(".")[0] in QT]
    assert found == []


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module in MODULES:
        targets = {_first_party(name) for name, _ in imports_of(module)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    cycles = _cycles(_graph())
    assert cycles == [], "modules that import each other (maybe lazily): " + "; ".join(
        " <-> ".join(c) for c in cycles)


def test_the_checker_sees_a_back_arrow(tmp_path, monkeypatch):
    """The checks above can fail: a core module importing model is caught, also when the
    import hides inside a function."""
    fake = tmp_path / "bad.py"
    fake.write_text("def f():\n    from sleepscorer_model.inference import score\n")
    monkeypatch.setitem(MODULES, "sleepscorer.core.bad", fake)
    with pytest.raises(AssertionError, match=r"bad.py:2 \(core\) imports sleepscorer_model.inference"):
        test_layers_point_one_way()
    fake.write_text("import pyqtgraph\nfrom sleepscorer.core import bad\n")
    with pytest.raises(AssertionError, match="bad.py:1 imports pyqtgraph"):
        test_no_qt_below_the_shells("sleepscorer.core")
    (tmp_path / "twin.py").write_text("def g():\n    from sleepscorer.core import bad\n")
    fake.write_text("def f():\n    import sleepscorer.core.twin\n")
    monkeypatch.setitem(MODULES, "sleepscorer.core.twin", tmp_path / "twin.py")
    with pytest.raises(AssertionError, match="sleepscorer.core.bad <-> sleepscorer.core.twin"):
        test_no_import_cycles()


BACKEND = "sleepscorer.gui.backend"
BEHIND_THE_BACKEND = ("sleepscorer.io", "sleepscorer.core", "sleepscorer_model")


def test_the_gui_reaches_io_core_and_model_only_through_its_backend():
    """Every gui module but gui/backend.py imports none of io, core or model (function-local
    imports included); the bottom layer (errors, stages, hypnogram, resources) is open to all."""
    found = []
    for module in MODULES:
        if not module.startswith("sleepscorer.gui") or module == BACKEND:
            continue
        for name, line in imports_of(module):
            target = _first_party(name) or ""
            if any(target == p or target.startswith(p + ".") for p in BEHIND_THE_BACKEND):
                found.append(f"{_where(module)}:{line} imports {target}")
    assert found == [], "gui modules that go around gui/backend.py:\n" + "\n".join(found)


def test_calls_across_the_backend_are_keyword_only():
    """Every public function of gui/backend.py takes keyword arguments only."""
    tree = ast.parse(MODULES[BACKEND].read_text(encoding="utf-8"))
    positional = [f"{node.name} (line {node.lineno})" for node in tree.body
                  if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
                  and (node.args.posonlyargs or node.args.args or node.args.vararg)]
    assert positional == []


def test_the_checker_sees_a_gui_module_going_around_the_backend(tmp_path, monkeypatch):
    fake = tmp_path / "view.py"
    fake.write_text("import numpy\n\ndef f():\n    from sleepscorer.core.display import x\n")
    monkeypatch.setitem(MODULES, "sleepscorer.gui.view", fake)
    with pytest.raises(AssertionError, match=r"view.py:4 imports sleepscorer.core.display"):
        test_the_gui_reaches_io_core_and_model_only_through_its_backend()
    fake.write_text("from sleepscorer_model import weights\n")
    with pytest.raises(AssertionError, match=r"view.py:1 imports sleepscorer_model"):
        test_the_gui_reaches_io_core_and_model_only_through_its_backend()
    fake.write_text("from sleepscorer.hypnogram import Hypnogram\nfrom sleepscorer import stages\n")
    test_the_gui_reaches_io_core_and_model_only_through_its_backend()


def test_nothing_imports_the_model_folder_by_its_folder_name():
    """`model/` installs as `sleepscorer_model`; `import model` would find the folder only from
    a checkout (and any other package called `model` elsewhere), so no module may use it."""
    found = [f"{_where(m)}:{line} imports {name}" for m in MODULES
             for name, line in imports_of(m) if name == "model" or name.startswith("model.")]
    assert found == []
