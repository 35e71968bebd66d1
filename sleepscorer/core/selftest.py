"""The installation self-test behind `sleepscorer selftest`: demo -> score -> CSV -> checks.

It runs the same path a scientist's first session takes (bundled demo recording, bundled
weights, automatic scoring, CSV export, re-reading the CSV) and reports one `Check` per
step, so a broken wheel or frozen app shows *which* link is missing. Bundled files are
found through `resource_path`, so a source checkout, a wheel and a PyInstaller bundle are
tested the same way.

Model-free and Qt-free (core sits below `model` and the shells): the caller passes the
scoring function (`scorer`, called as `scorer(recording, weights=, device=, epoch_length=)`
and returning a result with `probabilities`, `classes`, `model_name`, `device_used`); it
should import the model code itself, so a missing module shows as a failed check. The
caller adds the optional Qt check (`sleepscorer.gui.selftest_qt`) through
`extra_checks`; it runs last, because a Qt platform plugin that cannot start aborts the
whole process.
Must not print: the caller shows each check through `on_check`.
"""

from __future__ import annotations

import csv
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sleepscorer.errors import SleepScorerError

DEMO = ("demo", "openephys-mouse-29min")
WEIGHTS = ("weights", "sdreamer-seq.safetensors")
MODEL_CARD = ("weights", "sdreamer-seq.json")
# The columns every labels CSV starts with, in this order (p_<Stage> columns may follow).
CSV_HEADER = ("epoch", "onset_s", "duration_s", "stage", "confidence", "source")
CSV_NAME = "selftest-demo-labels.csv"


@dataclass(frozen=True)
class Check:
    """One verified property of the installation."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class SelfTestReport:
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0
    csv_path: Path | None = None  # only when kept

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)


class _Stop(Exception):
    """A step failed; later steps depend on it and are not run."""


def run_selftest(scorer: Callable[..., Any], device: str = "auto", keep: Path | None = None,
                 extra_checks: Sequence[Callable[[], Check]] = (),
                 on_check: Callable[[Check], None] | None = None,
                 epoch_length: float = 1.0, weights: Path | None = None) -> SelfTestReport:
    """Score the bundled demo with `scorer` on `device`, export and check the CSV; then
    `extra_checks`.

    With `keep`, the CSV is written into that folder and kept; otherwise into a temporary
    folder that is removed. A `SleepScorerError` (missing weights, unreadable demo) is
    raised after the checks so far were reported; any other failure becomes a failed check.
    `weights` replaces the bundled weights for scoring (tests); the bundled-files check
    still looks for the bundled ones.
    """
    report = SelfTestReport()
    started = time.perf_counter()

    def record(check: Check) -> Check:
        report.checks.append(check)
        if on_check is not None:
            on_check(check)
        return check

    try:
        if keep is not None:
            keep = Path(keep)
            keep.mkdir(parents=True, exist_ok=True)
            report.csv_path = keep / CSV_NAME
            _score_and_export(scorer, device, weights, keep, epoch_length, record)
        else:
            with tempfile.TemporaryDirectory(prefix="sleepscorer-selftest-") as tmp:
                _score_and_export(scorer, device, weights, Path(tmp), epoch_length, record)
    except _Stop:
        pass
    finally:
        report.seconds = time.perf_counter() - started
    for extra in extra_checks:
        record(extra())
    report.seconds = time.perf_counter() - started
    return report


def _run_step(name: str, record: Callable[[Check], Check], step: Callable[[], tuple[bool, str]],
              blocking: bool = True) -> None:
    """Run one step; an unexpected exception is a failed check (a missing module in a frozen
    app must show as a line, not a traceback). `SleepScorerError` is the caller's to show.
    A failed `blocking` step stops the steps after it."""
    try:
        ok, detail = step()
    except SleepScorerError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    record(Check(name, ok, detail))
    if not ok and blocking:
        raise _Stop(name)


@dataclass
class _Pipeline:
    """The demo's way through the program; each step returns (ok, detail) for a `Check`."""

    scorer: Callable[..., Any]
    device: str
    weights: Path | None
    folder: Path
    epoch_length: float
    recording: object = None
    result: object = None
    hypnogram: object = None
    csv: Path | None = None

    def load(self) -> tuple[bool, str]:
        from sleepscorer.io import load_recording
        from sleepscorer.resources import resource_path
        from sleepscorer.stages import epochs_text

        rec = self.recording = load_recording(resource_path(*DEMO))
        n = rec.n_epochs(self.epoch_length)
        roles = "+".join(k for k, c in (("EEG", rec.eeg), ("EMG", rec.emg)) if c is not None)
        return (n > 0 and rec.eeg is not None and rec.emg is not None,
                f"{rec.duration_s / 60:.1f} min at {rec.rates_text()}, {roles or 'no EEG/EMG'}, "
                f"{epochs_text(n, self.epoch_length)}")

    def edf(self) -> tuple[bool, str]:
        return check_edf_roundtrip(self.recording, self.folder)

    def score(self) -> tuple[bool, str]:
        t0 = time.perf_counter()
        result = self.result = self.scorer(self.recording, weights=self.weights, device=self.device,
                                     epoch_length=self.epoch_length)
        n = self.recording.n_epochs(self.epoch_length)
        ok, problem = probabilities_problem(result.probabilities, n, len(result.classes))
        where = f"{result.model_name} on {result.device_used}, {time.perf_counter() - t0:.1f} s"
        return ok, where if ok else f"{problem} ({where})"

    def export(self) -> tuple[bool, str]:
        from sleepscorer.hypnogram import Hypnogram
        from sleepscorer.io.labels import write_labels_csv

        probabilities, classes = self.result.probabilities, self.result.classes
        self.hypnogram = Hypnogram(len(probabilities), self.epoch_length)
        self.hypnogram.apply_model(probabilities, classes)
        path = self.csv = self.folder / CSV_NAME
        write_labels_csv(self.hypnogram, path)
        return path.is_file(), f"{path} ({path.stat().st_size / 1024:.0f} kB)"

    def reread(self) -> tuple[bool, str]:
        import numpy as np

        from sleepscorer.io.labels import read_labels

        back = read_labels(self.csv, n_epochs=len(self.hypnogram), epoch_length=self.epoch_length)
        same = np.array_equal(back.stages, self.hypnogram.stages)
        return same, "stages identical" if same else "stages differ after reading back"


def _score_and_export(scorer: Callable[..., Any], device: str, weights: Path | None,
                      folder: Path, epoch_length: float, record: Callable[[Check], Check]
                      ) -> None:
    run = _Pipeline(scorer, device, weights, folder, epoch_length)
    # Not blocking: without weights, loading still runs and scoring then says what is missing.
    _run_step("bundled files", record, check_bundled_files, blocking=False)
    _run_step("load demo recording", record, run.load)
    _run_step("EDF write and read (edfio, mne)", record, run.edf)
    _run_step("score demo", record, run.score)
    _run_step("export CSV", record, run.export)
    for check in check_labels_csv(run.csv, len(run.hypnogram), epoch_length):
        record(check)
    _run_step("re-read CSV", record, run.reread)


def check_edf_roundtrip(recording, folder: Path, seconds: float = 60.0) -> tuple[bool, str]:
    """The first minute written as EDF+ and read back: exercises edfio and mne, which the
    Open Ephys demo does not touch (in a frozen app, their data files and lazy imports)."""
    import numpy as np

    from sleepscorer.io import load_recording, write_edf
    from sleepscorer.io.recording import Channel, Recording

    seconds = min(seconds, recording.duration_s)
    part = Recording([Channel(c.name, c.kind, np.asarray(c.data[:int(seconds * c.rate)]), c.rate,
                              c.unit) for c in recording.channels],
                     recording.source, recording.start_time)
    path = folder / "selftest-first-minute.edf"
    write_edf(part, path)
    back = load_recording(path)
    shape = lambda rec: [(c.name, c.rate, len(c.data)) for c in rec.channels]  # noqa: E731
    same = (shape(back) == shape(part) and back.eeg is not None and back.emg is not None)
    return same, (f"{len(back.channels)} channels, {back.duration_s:g} s" if same
                  else f"read back {shape(back)} (name, Hz, samples), expected {shape(part)}")


def check_bundled_files() -> tuple[bool, str]:
    """The demo recording, the weights and their model card are where `resource_path` says."""
    from sleepscorer.resources import resource_path

    demo = resource_path(*DEMO)
    missing = [str(p) for p in (demo, resource_path(*WEIGHTS), resource_path(*MODEL_CARD))
               if not p.exists()]
    if missing:
        return False, "missing: " + ", ".join(missing)
    weights_mb = resource_path(*WEIGHTS).stat().st_size / 1e6
    n_demo = sum(1 for p in demo.iterdir() if p.is_file())
    return True, f"demo ({n_demo} files), {WEIGHTS[1]} ({weights_mb:.1f} MB) + model card"


def probabilities_problem(probabilities, n_epochs: int, n_classes: int) -> tuple[bool, str]:
    """(ok, problem): one finite probability row per epoch, each summing to 1."""
    import numpy as np

    p = np.asarray(probabilities, dtype=float)
    if p.shape != (n_epochs, n_classes):
        return False, f"probabilities have shape {p.shape}, expected ({n_epochs}, {n_classes})"
    if not np.isfinite(p).all():
        return False, "probabilities contain NaN or infinity"
    if not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        return False, "probability rows do not sum to 1"
    return True, ""


def check_labels_csv(path: Path, n_epochs: int, epoch_length: float = 1.0) -> list[Check]:
    """Check a model-scored labels CSV as written, without our reader: the file contract."""
    from sleepscorer.stages import Stage

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    stage_names = {s.label for s in Stage}
    extra = header[len(CSV_HEADER):]
    header_ok = (tuple(header[: len(CSV_HEADER)]) == CSV_HEADER
                 and all(c.startswith("p_") and c[2:] in stage_names for c in extra))
    checks = [Check("CSV header", header_ok, ",".join(header))]
    if not header_ok:
        return checks
    checks.append(_epochs_check(body, n_epochs, epoch_length))
    bad_stages = sorted({r[3] for r in body if r[3] not in stage_names})
    checks.append(Check("CSV stages valid", not bad_stages,
                        f"bad: {', '.join(bad_stages)}" if bad_stages
                        else ", ".join(f"{s} {sum(r[3] == s for r in body)}"
                                       for s in sorted({r[3] for r in body}))))
    checks.append(_model_rows_check(body))
    return checks


def _epochs_check(body: list[list[str]], n_epochs: int, epoch_length: float) -> Check:
    if len(body) != n_epochs:
        return Check("CSV epochs", False, f"{len(body)} rows, expected {n_epochs}")
    for i, row in enumerate(body):
        if (len(row) < len(CSV_HEADER) or row[0] != str(i)
                or not math.isclose(float(row[1]), i * epoch_length, abs_tol=1e-6)
                or not math.isclose(float(row[2]), epoch_length)):
            return Check("CSV epochs", False, f"row {i + 2} is out of order: {','.join(row)}")
    return Check("CSV epochs", True, f"{n_epochs} rows of {epoch_length:g} s, in order")


def _model_rows_check(body: list[list[str]]) -> Check:
    for i, row in enumerate(body):
        try:
            conf = float(row[4])
        except ValueError:
            conf = math.nan
        if row[5] != "model" or not 0.0 <= conf <= 1.0:
            return Check("CSV source and confidence", False,
                         f"row {i + 2}: source {row[5]!r}, confidence {row[4]!r} "
                         "(expected model, 0..1)")
    confs = [float(r[4]) for r in body]
    mean = sum(confs) / len(confs) if confs else math.nan
    return Check("CSV source and confidence", True,
                 f"all rows from the model, confidence {min(confs, default=0):.2f}-"
                 f"{max(confs, default=0):.2f} (mean {mean:.2f})")
