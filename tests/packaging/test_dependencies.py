"""Every module the shipped code imports comes from a runtime dependency.

The walk reads each ``import`` in the packages ``pip install .`` ships (``labelhub/``,
``workers/``: pyproject's ``packages.find``), maps its top-level module to the distribution
that installs it, and checks that distribution is named in ``[project.dependencies]``. A package
that arrives only through a dev extra or through another dependency (rapidfuzz through jiwer)
fails here.
"""

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# The packages `pip install .` ships: [tool.setuptools.packages.find] include, e.g. "labelhub*".
SHIPPED = tuple(
    pattern.rstrip("*")
    for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
)


def _declared() -> set[str]:
    lines = PYPROJECT["project"]["dependencies"]
    return {canonicalize_name(Requirement(line).name) for line in lines}


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """The statements under ``if TYPE_CHECKING:``: mypy reads them, Python never runs them."""
    guarded: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in {
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        }:
            for statement in node.body:
                guarded |= set(ast.walk(statement))
    return guarded


def _imports(path: Path) -> set[str]:
    found = set()
    tree = ast.parse(path.read_text(), filename=str(path))
    guarded = _type_checking_only(tree)
    for node in ast.walk(tree):
        if node in guarded:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.partition(".")[0])
    return found


def runtime_imports() -> dict[str, set[str]]:
    """{top-level module: files importing it} for every third-party import of the shipped code."""
    local = set(SHIPPED)
    users: dict[str, set[str]] = {}
    for package in SHIPPED:
        for path in sorted((ROOT / package).rglob("*.py")):
            for module in _imports(path) - local - set(sys.stdlib_module_names):
                users.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    return users


def undeclared() -> dict[str, list[str]]:
    """{module: reason} for each runtime import no [project.dependencies] entry provides."""
    declared = _declared()
    owners = packages_distributions()
    missing = {}
    for module, files in sorted(runtime_imports().items()):
        distributions = {canonicalize_name(name) for name in owners.get(module, [])}
        if not distributions:
            missing[module] = [f"no installed distribution provides it ({sorted(files)[0]})"]
        elif not distributions & declared:
            missing[module] = [f"{', '.join(sorted(distributions))} is not a runtime dependency"]
            missing[module] += sorted(files)
    return missing


def test_every_runtime_import_is_a_declared_dependency() -> None:
    assert undeclared() == {}


def test_an_import_for_the_type_checker_only_is_not_a_runtime_import(tmp_path: Path) -> None:
    module = tmp_path / "typed.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "import rapidfuzz\n"
        "if TYPE_CHECKING:\n"
        "    from django_stubs_ext import StrOrPromise\n"
    )

    assert _imports(module) == {"typing", "rapidfuzz"}


def test_the_walk_sees_the_imports_the_issue_named() -> None:
    # The check can fail: soundfile and rapidfuzz are imported by shipped code, and a dev-only
    # distribution is reported.
    imports = runtime_imports()
    assert "soundfile" in imports and "rapidfuzz" in imports
    assert "django" in imports and "pytest" not in imports
    assert "labelhub" in SHIPPED and "labelhub" not in imports
    owners = packages_distributions()
    assert canonicalize_name(owners["pytest"][0]) not in _declared()
