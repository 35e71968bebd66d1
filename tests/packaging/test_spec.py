"""The PyInstaller spec's inputs exist (packaging/build.py --dry-run), without building."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_PY = ROOT / "packaging" / "build.py"

pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (pip install .[package])")


@pytest.fixture(scope="module")
def build_module():
    spec = importlib.util.spec_from_file_location("sleepscorer_packaging_build", BUILD_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def inputs(build_module):
    return build_module.read_spec()


def test_spec_inputs_have_no_problems(build_module, inputs):
    assert build_module.spec_problems(inputs) == []


def test_entry_is_the_cli_main(inputs):
    assert [Path(s).name for s in inputs.scripts] == ["entry.py"]
    assert "from sleepscorer.cli import main" in Path(inputs.scripts[0]).read_text()


def test_bundled_resources_go_where_resource_path_looks(build_module, inputs):
    assert build_module.bundled(inputs, "demo", "openephys-mouse-29min", "EEG.continuous")
    assert build_module.bundled(inputs, "demo", "openephys-mouse-29min", "LICENSE")
    assert build_module.bundled(inputs, "__init__.py")
    weights = ROOT / "resources" / "weights" / "sdreamer-seq.safetensors"
    assert build_module.bundled(inputs, "weights", weights.name) == weights.exists()


def test_commands_and_readers_are_hidden_imports(inputs):
    hidden = set(inputs.hiddenimports)
    cli = (ROOT / "sleepscorer" / "cli").glob("*.py")
    assert {f"sleepscorer.cli.{p.stem}" for p in cli if p.stem != "__init__"} <= hidden
    assert {"sleepscorer.cli.selftest", "sleepscorer_model.inference"} <= hidden


def test_video_decoding_is_bundled(inputs):
    """PyAV is named, nothing excludes it, and PyInstaller has its hook (its submodules and
    FFmpeg libraries); PIL, which the spec leaves out, is not needed to decode frames."""
    assert "av" in inputs.hiddenimports
    assert not [e for e in inputs.excludes if e == "av" or e.startswith("av.")]
    import _pyinstaller_hooks_contrib

    hooks = Path(_pyinstaller_hooks_contrib.__file__).parent
    assert list(hooks.rglob("hook-av.py")), "pyinstaller-hooks-contrib has no hook for av"


def test_unneeded_packages_are_excluded(inputs):
    assert {"tkinter", "matplotlib", "torch.utils.tensorboard"} <= set(inputs.excludes)
    assert "torch.testing._internal" not in inputs.excludes  # `import torch` needs it


def test_torch_test_programs_are_dropped(inputs):
    unwanted = inputs.names["unwanted"]
    assert unwanted("torch/bin/test_jit") and unwanted("torch/test/Dict_test")
    assert unwanted("torch/lib/libtorchbind_test.so")
    assert not unwanted("torch/bin/torch_shm_manager") and not unwanted("torch/lib/libtorch_cpu.so")


def test_dry_run_command_exits_0():
    done = subprocess.run([sys.executable, str(BUILD_PY), "--dry-run"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dry run ok" in done.stdout
