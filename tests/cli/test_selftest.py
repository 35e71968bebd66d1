"""`sleepscorer selftest` from the source install, and the checks it is made of."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sleepscorer.resources import resource_path

from sleepscorer.cli import main
from sleepscorer.cli.selftest import score_with_model
from sleepscorer.core import selftest
from sleepscorer.core.selftest import CSV_HEADER, check_labels_csv, run_selftest

BUNDLED_WEIGHTS = resource_path(*selftest.WEIGHTS)


def _write(path: Path, header, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _model_rows(n: int) -> list[list[str]]:
    return [[str(i), str(i), "1", "NREM", "0.9", "model"] for i in range(n)]


def _failed(checks) -> dict[str, str]:
    return {c.name: c.detail for c in checks if not c.ok}


def test_good_csv_passes(tmp_path):
    path = _write(tmp_path / "a.csv", [*CSV_HEADER, "p_Wake"], _model_rows(5))
    assert _failed(check_labels_csv(path, 5)) == {}


@pytest.mark.parametrize("change, failing", [
    (lambda h, r: (["stage", *h[1:]], r), "CSV header"),
    (lambda h, r: (h, r[:-1]), "CSV epochs"),
    (lambda h, r: (h, [r[0], r[2], r[1], *r[3:]]), "CSV epochs"),
    (lambda h, r: (h, [*r[:-1], [*r[-1][:3], "Dozing", "0.5", "model"]]), "CSV stages valid"),
    (lambda h, r: (h, [*r[:-1], [*r[-1][:5], "expert"]]), "CSV source and confidence"),
    (lambda h, r: (h, [*r[:-1], [*r[-1][:4], "1.5", "model"]]), "CSV source and confidence"),
    (lambda h, r: (h, [*r[:-1], [*r[-1][:4], "", "model"]]), "CSV source and confidence"),
])
def test_bad_csv_fails_the_right_check(tmp_path, change, failing):
    header, rows = change(list(CSV_HEADER), _model_rows(5))
    failed = _failed(check_labels_csv(_write(tmp_path / "b.csv", header, rows), 5))
    assert list(failed) == [failing]


@pytest.mark.slow
def test_pipeline_with_untrained_weights(tmp_path):
    """Every step but the bundled-weights check passes with a freshly initialised model."""
    from sleepscorer_model.weights import build_model, save_model

    weights = tmp_path / "untrained.safetensors"
    save_model(build_model("sdreamer-seq"), weights)
    report = run_selftest(score_with_model, device="cpu", keep=tmp_path / "out", weights=weights)
    failed = _failed(report.checks)
    failed.pop("bundled files", None)
    assert failed == {}
    assert report.csv_path == tmp_path / "out" / selftest.CSV_NAME and report.csv_path.exists()


def test_missing_bundled_weights_exit_2(tmp_path, monkeypatch, capsys):
    import sleepscorer.resources as resources

    real = resources.resource_path
    monkeypatch.setattr(resources, "resource_path", lambda *parts: (
        tmp_path.joinpath(*parts) if parts[0] == "weights" else real(*parts)))
    assert main(["selftest", "--device", "cpu", "--no-qt"]) == 2
    out, err = capsys.readouterr()
    assert "FAIL bundled files: missing" in out
    assert "ok   load demo recording" in out
    assert err.startswith("error: ")


@pytest.mark.slow
def test_selftest_command_passes(tmp_path):
    if not BUNDLED_WEIGHTS.exists():
        pytest.skip(f"bundled weights not trained yet ({BUNDLED_WEIGHTS} missing); "
                    "this test must pass once they exist")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    script = Path(sys.executable).with_name("sleepscorer")  # the installed console script
    command = [str(script)] if script.exists() else [sys.executable, "-m", "sleepscorer"]
    done = subprocess.run([*command, "selftest", "--device", "cpu", "--keep", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")]
    assert any(line.startswith("ok   score demo") for line in lines)
    assert any(line.startswith("ok   Qt (optional)") for line in lines)
    assert "self-test passed" in lines[-2]
    assert (tmp_path / selftest.CSV_NAME).exists()
