"""Bad inputs about what a file is: empty files of every suffix, recordings under another
format's name, a label table given as a recording, and a batch folder of other files."""

from __future__ import annotations

import shutil
from pathlib import Path

import scipy.io

from tests.fuzz.builders import good_edf, labels_csv, sdreamer_mat
from tests.fuzz.harness import Case, Outcome

SECONDS = 20


def _score(rec: Path, tmp: Path, model: Path, *extra) -> list:
    return ["score", rec, "--out", tmp / "out.csv", "--model", model, "--device", "cpu", *extra]


def _case(id: str, make, *extra, expect="error", match=None,  # noqa: ANN001, A002
          check=None) -> Case:  # noqa: ANN001
    def build(tmp: Path, model: Path):
        rec = make(tmp)
        return _score(rec, tmp, model, *extra), [rec, model]
    return Case(id, build, expect, match, None, check)


def _empty(name: str):
    def make(tmp: Path) -> Path:
        (tmp / name).write_bytes(b"")
        return tmp / name
    return make


def _copy_of(make_original, name: str):
    def make(tmp: Path) -> Path:
        shutil.copyfile(make_original(tmp), tmp / name)
        return tmp / name
    return make


def _edf(tmp: Path) -> Path:
    return good_edf(tmp / "orig.edf")


def _mat(tmp: Path) -> Path:
    scipy.io.savemat(tmp / "orig.mat", sdreamer_mat(SECONDS))
    return tmp / "orig.mat"


def warned(text: str):
    """Exit 0 with all epochs written and a warning containing `text`."""
    def check(tmp: Path, o: Outcome) -> str | None:
        out = tmp / "out.csv"
        if not out.is_file() or len(out.read_text().splitlines()) - 1 != SECONDS:
            return "the recording's epochs were not all written"
        return None if text in o.err else f"no warning {text!r}: {o.err[-400:]}"
    return check


def _batch_build(tmp: Path, model: Path):
    root = tmp / "study"
    root.mkdir()
    good_edf(root / "rec.edf")
    (root / "notes.txt").write_text("mouse 3, cage 2\nrecorded fine\n")
    (root / "README").write_text("hello\n")
    (root / "x.csv").write_text(labels_csv([(0, 0, 1, "Wake", 1, "expert")]))
    return ["score", root, "--out", tmp / "o", "--model", model, "--device", "cpu"], [root, model]


def _batch_check(tmp: Path, o: Outcome) -> str | None:
    want = "note: not scored: 1 label file (x.csv), 2 other files (README, notes.txt);"
    return None if want in o.err else f"expected {want!r} in {o.err[-600:]}"


def kind_cases() -> list[Case]:
    cases = [_case(f"empty-{s}", _empty(f"rec.{s}"), "--rate", "128",
                   match="the file is empty (0 bytes)")
             for s in ("edf", "bdf", "mat", "csv", "tsv", "parquet", "continuous")]
    cases += [
        _case("edf-named-mat", _copy_of(_edf, "rec.mat"), expect="ok",
              check=warned("rec.mat holds an EDF recording although named .mat; read as EDF")),
        _case("edf-named-csv", _copy_of(_edf, "rec.csv"), expect="ok",
              check=warned("rec.csv holds an EDF recording")),
        _case("mat-named-edf", _copy_of(_mat, "rec.edf"), expect="ok",
              check=warned("rec.edf holds a MATLAB .mat recording")),
        _case("labels-as-recording", lambda t: (t / "labels.csv").write_text(labels_csv(
            [(0, 0, 1, "Wake", 1, "expert")])) and t / "labels.csv", "--rate", "512",
              match="holds sleep labels (columns epoch, onset_s, duration_s, stage, ...), not "
                    "signals"),
        Case("batch-other-files", _batch_build, expect="ok", check=_batch_check),
    ]
    return cases
