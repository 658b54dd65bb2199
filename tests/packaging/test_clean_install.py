"""``pip install .`` without the dev extras is enough to build a FLAC release.

The Docker image installs the project this way (Dockerfile: ``pip install .``) and runs the
source tree on top; a runtime import that only a dev extra brings (soundfile was one) passes
every other test and fails there. This test makes such a virtual environment and builds a
release in it (tests/packaging/flac_release.py, on the embedded SQLite database).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.test_dependencies import ROOT, SHIPPED

COPIED = ("pyproject.toml", "README.md", *SHIPPED)

pytestmark = pytest.mark.packaging


def _source_copy(target: Path) -> Path:
    """What ``pip install .`` reads, copied, so its build folders stay out of the work tree."""
    target.mkdir()
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def _run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command[:4]} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def runtime_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the project's [project.dependencies] and nothing of
    the dev extra. Installed by the pip of the running interpreter (``--python``): the
    environment needs no pip of its own, and .pyc compiling is skipped, to keep it quick."""
    base = tmp_path_factory.mktemp("clean-install")
    venv = base / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    source = _source_copy(base / "src")
    python = venv / "bin" / "python"
    pip = (sys.executable, "-m", "pip", "--python", python)
    _run(*pip, "install", "--quiet", "--no-compile", "--disable-pip-version-check", source)
    return python


def test_the_clean_environment_lacks_the_dev_extra(runtime_venv: Path) -> None:
    # The check below means something only if the environment is really without dev packages.
    for module in ("pytest", "factory", "lhotse", "librosa"):
        found = subprocess.run(
            [runtime_venv, "-c", f"import {module}"], capture_output=True, cwd=runtime_venv.parent
        )
        assert found.returncode != 0, f"{module} is installed in the runtime environment"


def test_a_flac_release_builds_with_the_runtime_dependencies_alone(
    runtime_venv: Path, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    env = {
        "PATH": os.environ["PATH"],  # ffmpeg and ffprobe
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),  # the source tree on top, as in the image
        "LABELHUB_DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "packaging-test",
    }
    result = _run(
        runtime_venv, ROOT / "tests" / "packaging" / "flac_release.py", env=env, cwd=tmp_path
    )
    names = result.stdout.split()
    assert [name for name in names if name.endswith(".flac")], names
    assert not [name for name in names if name.endswith(".wav")], names
    assert any(name.endswith("/SHA256SUMS") for name in names)
