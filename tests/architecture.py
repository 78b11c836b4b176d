"""The project's structure as its imports draw it: every import of every module of the product
packages (bot/, handlers/, storage/), at any depth of the code, lazy ones included.

    python -m tests.architecture        # the package graph, and any circle between modules

tests/test_architecture.py holds the rules to it (no circles, only the composition root imports
handlers/, the domain imports no Slack, storage/ imports neither, no test double in the product,
no module or function too long)."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "handlers", "storage")


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    # Other product modules it imports, and every top-level package it imports.
    imports: set[str] = field(default_factory=set)
    packages: set[str] = field(default_factory=set)

    @property
    def lines(self) -> int:
        return len(self.path.read_text(encoding="utf-8").splitlines())

    @property
    def package(self) -> str:
        """bot.flows for bot/flows/cases.py, bot for bot/cases.py. An entry point (`__main__`)
        stands on its own: it sits above every layer, by definition."""
        if self.path.name == "__init__.py" or self.path.name == "__main__.py":
            return self.name
        return self.name.rpartition(".")[0]


def product_modules(root: Path = ROOT) -> dict[str, Module]:
    found: dict[str, Module] = {}
    for package in PRODUCT:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts or "__pycache__" in path.parts:
                continue
            name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
            found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8")))
    for module in found.values():
        for target in _imported(module):
            module.packages.add(target.split(".")[0])
            while target and target not in found:
                target = target.rpartition(".")[0]
            if target and target != module.name:
                module.imports.add(target)
    return found


def _imported(module: Module) -> Iterator[str]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Groups of nodes that import each other, directly or round a loop (Tarjan's SCCs)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for other in sorted(graph[name]):
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in on_stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == name:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    for name in sorted(graph):
        if name not in index:
            visit(name)
    return found


def module_graph(modules: dict[str, Module]) -> dict[str, set[str]]:
    return {name: module.imports for name, module in modules.items()}


def package_graph(modules: dict[str, Module]) -> dict[str, set[str]]:
    """Which package's modules import which other package's."""
    graph: dict[str, set[str]] = {}
    for module in modules.values():
        edges = graph.setdefault(module.package, set())
        edges |= {modules[other].package for other in module.imports} - {module.package}
    return graph


def long_functions(module: Module, limit: int) -> Iterator[tuple[str, int]]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                yield f"{module.name}.{node.name}", length


def main() -> int:
    modules = product_modules()
    for package, uses in sorted(package_graph(modules).items()):
        print(f"{package:22} -> {', '.join(sorted(uses)) or '(nothing of ours)'}")
    found = circles(module_graph(modules)) + circles(package_graph(modules))
    for group in found:
        print("circle:", " <-> ".join(group))
    print(f"{len(modules)} modules, {len(found)} circles")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
