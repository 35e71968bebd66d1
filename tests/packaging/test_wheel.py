"""A wheel built from the repository carries every package, the demo recording and the
weights (what `pip install` gives a scientist). Built from a copy, so the checkout's
build/ folder is left alone."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "sleepscorer", "model", "resources")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    pytest.importorskip("setuptools", reason="building the wheel offline needs setuptools")
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif path.exists():
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    (path,) = out.glob("sleepscorer-*.whl")
    return zipfile.ZipFile(path)


@pytest.fixture(scope="module")
def wheel_names(wheel) -> set[str]:
    return set(wheel.namelist())


def _files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]


PACKAGES = {"sleepscorer": "sleepscorer", "sleepscorer_model": "model"}  # import name: folder


def test_every_python_package_is_in_the_wheel(wheel_names):
    for top, folder in PACKAGES.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            name = f"{top}/{init.relative_to(ROOT / folder).as_posix()}"
            assert name in wheel_names, f"{name}: add its package to [tool.setuptools] packages"


def test_package_data_files_are_in_the_wheel(wheel_names):
    for top, folder in PACKAGES.items():
        for path in _files(ROOT / folder):
            if path.suffix != ".py":
                name = f"{top}/{path.relative_to(ROOT / folder).as_posix()}"
                assert name in wheel_names, f"{name}: add it to [tool.setuptools.package-data]"


def test_bundled_resources_are_in_the_wheel(wheel_names):
    for path in _files(ROOT / "resources"):
        name = "sleepscorer/resources/" + path.relative_to(ROOT / "resources").as_posix()
        assert name in wheel_names, f"{name}: missing from the wheel's package data"
    assert "sleepscorer/resources/demo/openephys-mouse-29min/EEG.continuous" in wheel_names
    assert "sleepscorer/resources/demo/openephys-mouse-29min/LICENSE" in wheel_names


def test_bundled_weights_are_in_the_wheel(wheel_names):
    if not (ROOT / "resources" / "weights" / "sdreamer-seq.safetensors").exists():
        pytest.skip("resources/weights/sdreamer-seq.safetensors not trained yet")
    assert "sleepscorer/resources/weights/sdreamer-seq.safetensors" in wheel_names
    assert "sleepscorer/resources/weights/sdreamer-seq.json" in wheel_names


def test_resources_are_readable_by_everyone(wheel):
    """A file written through mkstemp is 0600; installed system-wide, only root could read it."""
    for info in wheel.infolist():
        mode = info.external_attr >> 16
        if info.filename.startswith("sleepscorer/resources/") and mode:
            assert mode & 0o444 == 0o444, (
                f"{info.filename} has mode {oct(mode & 0o777)}; chmod 644 it in resources/")


def test_command_entry_point(wheel, wheel_names):
    (entry,) = [n for n in wheel_names if n.endswith(".dist-info/entry_points.txt")]
    assert "sleepscorer = sleepscorer.cli:main" in wheel.read(entry).decode()
