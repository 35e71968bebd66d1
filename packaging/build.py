"""Build the one-folder SleepScorer app with PyInstaller, then run its self-test.

    python packaging/build.py             # build into build/ and dist/, then self-test
    python packaging/build.py --dry-run   # only check the spec's inputs (seconds; for CI)

Run from any folder with the Python of the build venv (it holds the torch wheel to ship).
Prints the build time, the size of dist/SleepScorer and the frozen self-test's output;
exits with the self-test's status (or 1 when the build or the dry run fails).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "sleepscorer.spec"
NAME = "SleepScorer"


@dataclass
class SpecInputs:
    """What the spec hands to PyInstaller, recorded by stand-ins for its build classes."""

    scripts: list[str] = field(default_factory=list)
    datas: list[tuple[str, str]] = field(default_factory=list)
    binaries: list[tuple[str, str]] = field(default_factory=list)
    hiddenimports: list[str] = field(default_factory=list)
    excludes: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)  # EXE/COLLECT/BUNDLE names
    names: dict = field(default_factory=dict, repr=False)  # the spec's globals after running


def read_spec(spec: Path = SPEC) -> SpecInputs:
    """Execute the spec with recording stand-ins instead of PyInstaller's build steps."""
    inputs = SpecInputs()

    class Analysis:
        def __init__(self, scripts, pathex=None, binaries=(), datas=(), hiddenimports=(),
                     excludes=(), **_):
            inputs.scripts += list(scripts)
            inputs.binaries += list(binaries)
            inputs.datas += list(datas)
            inputs.hiddenimports += list(hiddenimports)
            inputs.excludes += list(excludes)
            self.pure = self.scripts = self.binaries = self.datas = []

    def target(kind: str):
        def make(*_args, name: str = "", **_kwargs):
            inputs.targets.append(f"{kind} {name}")
            return kind
        return make

    namespace = {"__file__": str(spec), "__name__": "__main__", "SPECPATH": str(spec.parent),
                 "SPEC": str(spec), "DISTPATH": str(ROOT / "dist"),
                 "workpath": str(ROOT / "build"), "Analysis": Analysis, "PYZ": target("PYZ"),
                 "EXE": target("EXE"), "COLLECT": target("COLLECT"),
                 "BUNDLE": target("BUNDLE")}
    exec(compile(spec.read_text(encoding="utf-8"), str(spec), "exec"), namespace)
    inputs.names = namespace
    return inputs


def spec_problems(inputs: SpecInputs) -> list[str]:
    """Missing entry scripts or data files, hidden imports that cannot be found."""
    problems = [f"entry script not found: {s}" for s in inputs.scripts if not Path(s).is_file()]
    problems += [f"data file not found: {src}" for src, _ in inputs.datas + inputs.binaries
                 if not Path(src).exists()]
    for name in inputs.hiddenimports:
        try:
            found = importlib.util.find_spec(name) is not None
        except Exception as exc:  # noqa: BLE001 - a parent package failed to import
            found, name = False, f"{name} ({type(exc).__name__}: {exc})"
        if not found:
            problems.append(f"hidden import not importable: {name}")
    problems += [f"no {kind} target" for kind in ("EXE", "COLLECT")
                 if not any(t.startswith(kind) for t in inputs.targets)]
    return problems


def bundled(inputs: SpecInputs, *parts: str) -> bool:
    dest = str(Path("sleepscorer", "resources", *parts[:-1]))
    return any(d == dest and Path(s).name == parts[-1] for s, d in inputs.datas)


def dry_run() -> int:
    t0 = time.perf_counter()
    inputs = read_spec()
    problems = spec_problems(inputs)
    print(f"spec: {SPEC}")
    print(f"  entry: {', '.join(inputs.scripts)}")
    print(f"  {len(inputs.datas)} data files, {len(inputs.hiddenimports)} hidden imports, "
          f"{len(inputs.excludes)} excludes, targets: {', '.join(inputs.targets)}")
    has_weights = bundled(inputs, "weights", "sdreamer-seq.safetensors")
    print(f"  demo recording bundled: {bundled(inputs, 'demo', 'openephys-mouse-29min', 'EEG.continuous')}"
          f", weights bundled: {has_weights}")
    if not has_weights:
        print("  note: resources/weights/sdreamer-seq.safetensors is missing; "
              "the frozen self-test will fail until it exists")
    for problem in problems:
        print(f"  FAIL {problem}")
    print(f"dry run {'FAILED' if problems else 'ok'} in {time.perf_counter() - t0:.1f} s")
    return 1 if problems else 0


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def frozen_executable(dist: Path) -> Path:
    folder = dist / NAME
    return folder / (f"{NAME}.exe" if sys.platform == "win32" else NAME)


def build(clean: bool, selftest_args: list[str]) -> int:
    dist, work = ROOT / "dist", ROOT / "build"
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    if clean:
        cmd.insert(3, "--clean")
    print("$ " + " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    built = subprocess.run(cmd, cwd=ROOT).returncode
    seconds = time.perf_counter() - t0
    print(f"build {'ok' if built == 0 else f'FAILED (exit {built})'} in {seconds / 60:.1f} min "
          f"({seconds:.0f} s)", flush=True)
    if built != 0:
        return 1
    exe = frozen_executable(dist)
    print(f"dist/{NAME}: {folder_mb(dist / NAME):.0f} MB", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"$ {exe} selftest {' '.join(selftest_args)}", flush=True)
    return subprocess.run([str(exe), "selftest", *selftest_args], cwd=work, env=env).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="validate the spec's inputs without building")
    parser.add_argument("--clean", action="store_true", help="discard PyInstaller's cache first")
    parser.add_argument("--device", default="cpu", choices=("auto", "cpu", "cuda"),
                        help="device for the frozen self-test (default cpu)")
    args = parser.parse_args(argv)
    if args.dry_run:
        return dry_run()
    return build(args.clean, ["--device", args.device])


if __name__ == "__main__":
    sys.exit(main())
