"""augkit's modules import each other without cycles.

The graph has an edge ``a -> b`` for every import statement of module ``a`` that names module
``b`` (``from pkg import sub`` names ``pkg.sub`` when that is a module), wherever it is: at
module level or inside a function (an import deferred into a function still makes the two
modules depend on each other; it only hides the cycle until run time). Imports under ``if
TYPE_CHECKING:`` never run and are left out. Importing ``pkg.sub`` runs ``pkg/__init__.py``
first; like other import checkers, the graph leaves that implicit edge out, or every package
would be a cycle.
"""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import augkit

ROOT = Path(augkit.__file__).resolve().parent


def all_modules() -> set[str]:
    """Every module of augkit, compiled extensions included."""
    return {"augkit"} | {info.name for info in pkgutil.walk_packages([str(ROOT)], prefix="augkit.")}


def module_files() -> dict[str, Path]:
    """Every module of augkit with Python source (packages as their ``__init__.py``), by dotted name."""
    files = {"augkit": ROOT / "__init__.py"}
    for info in pkgutil.walk_packages([str(ROOT)], prefix="augkit."):
        relative = Path(*info.name.split(".")[1:])
        path = ROOT / relative / "__init__.py" if info.ispkg else (ROOT / relative).with_suffix(".py")
        if path.exists():  # compiled extensions have no source
            files[info.name] = path
    return files


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _statements(node: ast.AST):
    """Every statement under ``node``, skipping ``if TYPE_CHECKING:`` bodies."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child):
            for statement in child.orelse:
                yield statement
                yield from _statements(statement)
            continue
        yield child
        yield from _statements(child)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, modules: set[str]) -> set[str]:
    """The augkit modules (of ``modules``: all, extensions included) that ``module`` imports anywhere."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path.name == "__init__.py", node)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {name for name in found if name in modules and name != module}


def _packages_entered(importer: str, target: str) -> set[str]:
    """The packages whose ``__init__`` an import of ``target`` runs first (those ``importer`` is not inside)."""
    parts = target.split(".")
    parents = {".".join(parts[:n]) for n in range(2, len(parts))}
    return {package for package in parents if not (importer == package or importer.startswith(package + "."))}


def import_graph() -> dict[str, set[str]]:
    """Module -> the augkit modules with Python source it imports (package ``__init__`` s entered included)."""
    files, modules = module_files(), all_modules()
    graph = {}
    for name, path in files.items():
        targets = imports_of(name, path, modules)
        for target in list(targets):
            targets |= _packages_entered(name, target)
        graph[name] = targets & set(files)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def test_the_graph_sees_the_packages_and_their_imports():
    graph = import_graph()
    assert {"augkit", "augkit.functional.color", "augkit.stats.core", "augkit.transforms.base"} <= set(graph)
    assert "augkit.stats.state" in graph["augkit.stats.store"]
    assert "augkit.functional.geometry" in graph["augkit.stats.core"]


def test_type_checking_imports_are_left_out(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import augkit.io\ndef f():\n    import augkit.rng\n")
    assert imports_of("augkit.m", source, {"augkit.io", "augkit.rng"}) == {"augkit.rng"}


def test_importing_a_module_of_a_package_enters_the_package():
    assert _packages_entered("augkit.stats.compute", "augkit.data.tars") == {"augkit.data"}
    assert _packages_entered("augkit.data.loader", "augkit.data.collate") == set()


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles between augkit modules:\n" + "\n".join(" <-> ".join(c) for c in cycles)


#: Function-level imports allowed: optional or heavy dependencies loaded on first use (never augkit).
def _function_level_augkit_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (inner.level > 0 or (inner.module or "").startswith("augkit")):
                    found.append(f"{path.name}:{inner.lineno} from {'.' * inner.level}{inner.module or ''}")
                elif isinstance(inner, ast.Import) and any(a.name.startswith("augkit") for a in inner.names):
                    found.append(f"{path.name}:{inner.lineno} import {inner.names[0].name}")
    return found


def test_stats_imports_its_modules_at_the_top():
    found = [hit for path in sorted((ROOT / "stats").glob("*.py")) for hit in _function_level_augkit_imports(path)]
    assert not found, f"augkit.stats imports augkit modules inside functions: {found}"
