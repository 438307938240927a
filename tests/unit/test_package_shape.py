"""The package's shape: stages as sub-packages, imports one way, functions short enough to read.

These read the source (every import, at module level or inside a function), so a circle
hidden behind an import inside a function fails here as well as in ``lint-imports``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "toolkit"
STAGES = ("data", "report", "publish", "run", "ui")
#: Where a function may import: the command line imports each command's modules when it runs.
LAZY_IMPORTS_ALLOWED = {"toolkit.cli"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, bool]]:
    """(imported project module, whether the import is inside a function) for every import."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    head = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*head, base] if base else head)
                targets = [f"{base}.{alias.name}" for alias in child.names] + [base]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.append((target, in_function))
            visit(child, inner)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {t for t, _ in _imports(name, path, modules)} for name, path in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_no_import_circle_counting_imports_inside_functions():
    assert _cycles(_graph()) == []


def test_the_circle_check_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_stages_are_sub_packages_and_few_modules_lie_flat():
    for stage in STAGES:
        assert (PACKAGE / stage / "__init__.py").is_file(), stage
    flat = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert len(flat) <= 10, flat


def test_imports_inside_functions_only_in_the_command_line():
    modules = _modules()
    inside = [
        f"{name} → {target}"
        for name, path in modules.items()
        if name not in LAZY_IMPORTS_ALLOWED
        for target, in_function in _imports(name, path, modules)
        if in_function
    ]
    assert inside == []


def test_no_function_longer_than_80_lines():
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 80:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines})")
    assert long == []


def test_architecture_page_names_every_module():
    """docs/architecture.md draws the tree as it is: every module of the package is named there."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    lines = page.splitlines()
    for path in _modules().values():
        if path.name == "__init__.py":
            continue
        folder = path.parent.relative_to(PACKAGE).as_posix()
        # a stage's modules are drawn on the lines that start with its folder, or in its column
        drawn = [line for line in lines if path.name in line.split()]
        assert drawn, f"{path.relative_to(ROOT)} is not in docs/architecture.md"
        if folder != ".":
            assert f"{folder}/" in page, folder


def test_layers_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]


#: What each process of a batch imports first, and what it must not bring with it: a batch
#: kernel reads validated rows and builds no widget; a Dask worker runs notebooks, never
#: pandas; the batch's main process never runs a notebook itself.
LIGHT = {
    "toolkit.ui.notebook": ("pandera", "ipywidgets", "openpyxl", "python_calamine"),
    "toolkit.run.remote": ("pandas", "papermill", "nbconvert"),
    "toolkit.run.slot": ("pandas", "papermill", "nbconvert"),
    "toolkit.run.batch": ("papermill", "nbconvert", "nbformat", "distributed", "openpyxl"),
}


def test_each_process_of_a_batch_imports_only_what_it_uses():
    # one interpreter per module: what one brings must not hide what another would
    for module, heavy in LIGHT.items():
        code = f"import sys; sys.modules.setdefault('rfc3987_syntax', None); import {module}; "
        code += f"print(sorted(m for m in {list(heavy)!r} if m in sys.modules))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "[]", (module, done.stdout)
