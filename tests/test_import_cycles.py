"""No module of labelhub imports itself back, not even through a lazy (in-function) import.

import-linter's contracts keep the apps one way; this keeps every module pair one way too: a
cycle is cut by moving the shared piece down (as labeling.draft_common was), not by hiding one
side of it in a function.
"""

from collections.abc import Iterator

import grimp

PACKAGE = "labelhub"


def import_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """The package's strongly connected module groups of more than one module (Tarjan)."""
    edges = {
        module: sorted(
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if imported.startswith(package)
        )
        for module in sorted(graph.modules)
        if module.startswith(package)
    }
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in edges.get(module, []):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = list(_pop_until(stack, module))
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in edges:
        if module not in order:
            visit(module)
    return cycles


def _pop_until(stack: list[str], module: str) -> Iterator[str]:
    while True:
        popped = stack.pop()
        yield popped
        if popped == module:
            return


def test_labelhub_has_no_module_import_cycle() -> None:
    graph = grimp.build_graph(PACKAGE, exclude_type_checking_imports=True, cache_dir=None)

    assert import_cycles(graph, PACKAGE) == []


def test_the_cycle_finder_sees_a_two_module_cycle_only() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.d")
    graph.add_import(importer="pkg.d", imported="pkg.a")

    assert import_cycles(graph, "pkg") == [["pkg.a", "pkg.b"]]
