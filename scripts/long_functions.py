"""Lists the functions longer than a limit (default 50 lines) in the shipped code.

    python scripts/long_functions.py [--limit 50] [paths ...]

A function's length is its lines from ``def`` (decorators excluded) to its last line; nested
functions count on their own and inside their parent. Prints one ``path:line name length`` row a
function, longest first, then the count; exits 0 always (it measures, it does not judge).
"""

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = ("labelhub", "workers")


def long_functions(paths: list[Path], limit: int) -> list[tuple[int, str, int, str]]:
    found = []
    for base in paths:
        files = [base] if base.is_file() else sorted(base.rglob("*.py"))
        for path in files:
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = node.end_lineno - node.lineno + 1
                    if length > limit:
                        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                        found.append((length, str(where), node.lineno, node.name))
    return sorted(found, key=lambda row: (-row[0], row[1], row[2]))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.paths] or [ROOT / p for p in DEFAULT_PATHS]
    rows = long_functions(paths, args.limit)
    for length, path, line, name in rows:
        print(f"{path}:{line} {name} {length}")
    print(f"{len(rows)} functions over {args.limit} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
