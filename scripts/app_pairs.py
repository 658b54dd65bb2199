"""Lists the pairs of labelhub apps that import each other, with the imports each way.

    python scripts/app_pairs.py [--one-way]

Reads this checkout's import graph with grimp (the library lint-imports uses), lazy imports
inside functions included, and counts direct imports only: app A imports app B when a module
of A imports a module of B. Prints each two-way pair with its imports, then the count;
--one-way also lists the pairs that import one way. Exits 0 always (it measures; the contracts
in pyproject.toml [tool.importlinter] judge).
"""

import argparse
import itertools
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def app_imports() -> tuple[list[str], dict[tuple[str, str], list[tuple[str, str]]]]:
    """The apps, and for each ordered pair (a, b) the (importer, imported) module pairs."""
    sys.path.insert(0, str(ROOT))  # this checkout, not an installed copy
    graph = grimp.build_graph("labelhub", cache_dir=None)
    apps = sorted(
        name.split(".")[1]
        for name in graph.find_children("labelhub")
        if graph.find_children(name)  # a package, not a top-level module
    )
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for a, b in itertools.permutations(apps, 2):
        importers = graph.find_descendants(f"labelhub.{a}") | {f"labelhub.{a}"}
        found[(a, b)] = sorted(
            (module, imported)
            for module in importers
            for imported in graph.find_modules_directly_imported_by(module)
            if imported == f"labelhub.{b}" or imported.startswith(f"labelhub.{b}.")
        )
    return apps, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one-way", action="store_true", help="also list the one-way pairs")
    args = parser.parse_args()
    apps, found = app_imports()
    two_way = [
        (a, b) for a, b in itertools.combinations(apps, 2) if found[(a, b)] and found[(b, a)]
    ]
    for a, b in two_way:
        print(f"{a}<->{b}")
        for importer, imported in found[(a, b)] + found[(b, a)]:
            print(f"    {importer} -> {imported}")
    if args.one_way:
        for a, b in itertools.permutations(apps, 2):
            if found[(a, b)] and not found[(b, a)]:
                print(f"one way: {a} -> {b}")
    print(f"{len(two_way)} two-way app pairs")


if __name__ == "__main__":
    main()
