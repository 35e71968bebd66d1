"""The generated bad inputs: recordings of every format, label files, output paths, options.

Each `Case` builds its files in a fresh folder and names the command to run; see
`harness.Case` for what is expected of each.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from tests.fuzz.builders import (
    EdfSpec,
    Signal,
    continuous_bytes,
    eeg_emg_signals,
    good_edf,
    labels_csv,
    sdreamer_mat,
    write_edf_spec,
    write_mat73,
    write_openephys,
)
from tests.fuzz.cases_kinds import kind_cases
from tests.fuzz.harness import Case, Outcome

SECONDS = 20


def _score(rec: Path, tmp: Path, model: Path, *extra, out: Path | None = None) -> list:
    return ["score", rec, "--out", out or tmp / "out.csv", "--model", model, "--device", "cpu",
            *extra]


def rows_are(n: int, name: str = "out.csv", allow_warned: bool = True):
    """Exit 0 is right when the output has `n` epochs (or a warning says why not)."""
    def check(tmp: Path, o: Outcome) -> str | None:
        out = tmp / name
        if not out.is_file():
            return f"exit 0 but {name} was not written"
        rows = len(out.read_text().splitlines()) - 1
        if rows == n:
            return None
        if allow_warned and "warning:" in o.err:
            return None
        return f"{rows} epochs written without a word, the file holds {n}"
    return check


def score_case(id: str, make, *extra, expect="error", match=None, check=None, names=None):  # noqa: ANN001, A002
    def build(tmp: Path, model: Path):
        rec = make(tmp)
        return _score(rec, tmp, model, *extra), [rec, model]
    return Case(id, build, expect, match, names, check)


# -- EDF / BDF ---------------------------------------------------------------------------
EDF_FIELDS = ("header_bytes", "n_records", "record_s", "n_signals", "per_record0", "pmin0",
              "pmax0", "dmin0", "dmax0", "label0", "unit0", "startdate", "starttime")
BAD_VALUES = ("", "abc", "-1", "0", "1e30", "nan")


def _edf_with(field: str, value: str, bdf: bool = False):
    def make(tmp: Path) -> Path:
        spec = EdfSpec(eeg_emg_signals(SECONDS, bdf=bdf), SECONDS, 1.0, bdf,
                       overrides={field: value})
        return write_edf_spec(tmp / ("rec.bdf" if bdf else "rec.edf"), spec)
    return make


def _truncated(n_bytes: int | None, fraction: float | None = None):
    def make(tmp: Path) -> Path:
        full = good_edf(tmp / "full.edf").read_bytes()
        (tmp / "full.edf").unlink()
        cut = n_bytes if n_bytes is not None else int(len(full) * fraction)
        (tmp / "rec.edf").write_bytes(full[:cut])
        return tmp / "rec.edf"
    return make


def edf_cases() -> list[Case]:
    cases = [score_case(f"edf-{f}-{v or 'empty'}", _edf_with(f, v), expect="either",
                        check=rows_are(SECONDS))
             for f in EDF_FIELDS for v in BAD_VALUES]
    for n in (0, 100, 255, 256, 500, 767, 768, 900):
        cases.append(score_case(f"edf-truncated-{n}", _truncated(n)))
    for frac in (0.5, 0.99):
        cases.append(score_case(f"edf-truncated-{frac}", _truncated(None, frac), expect="either",
                                check=rows_are(int(SECONDS * frac), allow_warned=True)))

    def not_edf(tmp: Path) -> Path:
        (tmp / "rec.edf").write_bytes(b"PK\x03\x04" + os.urandom(2000))
        return tmp / "rec.edf"
    cases.append(score_case("edf-zip-named-edf", not_edf, match="not an EDF/BDF"))

    def annotations_only(tmp: Path) -> Path:
        ann = Signal("EDF Annotations", np.zeros(60, np.int64), 60)
        return write_edf_spec(tmp / "rec.edf", EdfSpec([ann], 1, 0.0, edf_plus=True))
    cases.append(score_case("edf-annotations-only", annotations_only, match="only EDF+ annotations"))
    for f, v in (("record_s", "0"), ("n_signals", "0"), ("per_record1", "-5"), ("dmin1", "x")):
        cases.append(score_case(f"bdf-{f}-{v}", _edf_with(f, v, bdf=True)))

    def bdf_as_edf(tmp: Path) -> Path:
        (tmp / "rec.edf").write_bytes(good_edf(tmp / "x.bdf", bdf=True).read_bytes())
        (tmp / "x.bdf").unlink()
        return tmp / "rec.edf"
    cases.append(score_case("bdf-named-edf", bdf_as_edf, expect="ok", check=rows_are(SECONDS)))

    def zero_gain(tmp: Path) -> Path:
        spec = EdfSpec(eeg_emg_signals(SECONDS), SECONDS, overrides={"dmin1": "5", "dmax1": "5"})
        return write_edf_spec(tmp / "rec.edf", spec)

    def warned(word: str):
        def check(tmp: Path, o: Outcome) -> str | None:
            return None if word in o.err else f"no warning mentioning {word!r}"
        return check
    cases.append(score_case("edf-zero-gain", zero_gain, expect="ok", check=warned("zero gain")))
    return cases


# -- Open Ephys --------------------------------------------------------------------------
def _oe(**kw):
    def make(tmp: Path) -> Path:
        return write_openephys(tmp / "oe", seconds=SECONDS, **kw)
    return make


def openephys_cases() -> list[Case]:
    cases = []
    for rate in ("abc", "0", "-5", "nan"):
        def make(tmp: Path, rate=rate) -> Path:
            folder = write_openephys(tmp / "oe", seconds=SECONDS)
            for p in folder.glob("*.continuous"):
                p.write_bytes(p.read_bytes().replace(b"sampleRate = 1000", f"sampleRate = {rate}"
                                                     .encode().ljust(17)))
            return folder
        cases.append(score_case(f"oe-samplerate-{rate}", make, names="continuous"))
    cases.append(score_case("oe-bitvolts-nan", _oe(bit_volts=float("nan")), names="continuous"))

    def no_rate(tmp: Path) -> Path:
        folder = write_openephys(tmp / "oe", seconds=SECONDS)
        for p in folder.glob("*.continuous"):
            p.write_bytes(p.read_bytes().replace(b"sampleRate", b"sampleRats"))
        return folder
    cases.append(score_case("oe-no-samplerate", no_rate, names="continuous"))

    def short_header(tmp: Path) -> Path:
        folder = tmp / "oe"
        folder.mkdir()
        (folder / "EEG.continuous").write_bytes(b"header.sampleRate = 1000;")
        return folder
    cases.append(score_case("oe-truncated-header", short_header, names="EEG.continuous"))

    def header_only(tmp: Path) -> Path:
        folder = tmp / "oe"
        folder.mkdir()
        for name in ("EEG", "EMG"):
            (folder / f"{name}.continuous").write_bytes(continuous_bytes(np.zeros(0))[:1024])
        return folder
    cases.append(score_case("oe-no-samples", header_only, names="oe"))
    cases.append(score_case("oe-record-count-2000", _oe(n_override=2000), names="continuous"))

    def uneven(tmp: Path) -> Path:
        folder = write_openephys(tmp / "oe", seconds=SECONDS)
        emg = folder / "EMG.continuous"
        emg.write_bytes(emg.read_bytes()[: 1024 + 2070 * 10])
        return folder
    cases.append(score_case("oe-channels-differ", uneven, expect="ok",
                            check=lambda t, o: None if "different lengths" in o.err
                            else "no warning about the channels' lengths"))

    def fifo_channel(tmp: Path) -> Path:
        folder = write_openephys(tmp / "oe", seconds=SECONDS)
        os.mkfifo(folder / "AUX.continuous")
        return folder
    cases.append(score_case("oe-fifo-channel", fifo_channel, names="AUX.continuous",
                            match="not a regular file"))

    def trailing(tmp: Path) -> Path:
        folder = write_openephys(tmp / "oe", seconds=SECONDS)
        for p in folder.glob("*.continuous"):
            p.write_bytes(p.read_bytes() + b"\x01" * 37)
        return folder
    cases.append(score_case("oe-trailing-bytes", trailing, expect="either",
                            check=rows_are(SECONDS)))
    return cases


# -- MATLAB ------------------------------------------------------------------------------
def _mat(**changes):
    def make(tmp: Path) -> Path:
        import scipy.io

        variables = sdreamer_mat(SECONDS)
        for k, v in changes.items():
            if v is None:
                variables.pop(k, None)
            else:
                variables[k] = v
        scipy.io.savemat(tmp / "rec.mat", variables)
        return tmp / "rec.mat"
    return make


def _mat73(**changes):
    def make(tmp: Path) -> Path:
        variables = sdreamer_mat(SECONDS)
        variables.update(changes)
        return write_mat73(tmp / "rec.mat", variables)
    return make


def mat_cases() -> list[Case]:
    cells = np.empty(2, dtype=object)
    cells[0], cells[1] = np.zeros(10), np.ones(10)
    v5 = {
        "eeg-string": ({"eeg": "not a signal"}, "'eeg' is text"),
        "eeg-empty": ({"eeg": np.zeros(0)}, "'eeg' is empty"),
        "eeg-struct": ({"eeg": {"a": 1.0}}, "'eeg' is a struct"),
        "eeg-cell": ({"eeg": cells}, "'eeg' is a cell"),
        "rate-empty": ({"eeg_frequency": np.zeros(0)}, "'eeg_frequency' is empty"),
        "rate-text": ({"eeg_frequency": "256 Hz"}, "'eeg_frequency' is text"),
        "rate-zero": ({"eeg_frequency": 0.0}, "'eeg_frequency' is 0"),
        "rate-negative": ({"eeg_frequency": -256.0}, "'eeg_frequency' is -256"),
        "rate-nan": ({"eeg_frequency": np.nan}, "'eeg_frequency' is nan"),
        "rate-missing": ({"eeg_frequency": None}, "no 'eeg_frequency'"),
        "emg-text": ({"emg": "x"}, "'emg' is text"),
        "no-eeg": ({"eeg": None}, "no EEG in this .mat"),
    }
    cases = [score_case(f"mat-{k}", _mat(**v), match=m) for k, (v, m) in v5.items()]
    cases.append(score_case("mat-emg-shorter", _mat(emg=np.zeros(256 * 10) + 1.0), expect="ok",
                            check=lambda t, o: None if "different lengths" in o.err
                            else "EMG shorter than EEG without a warning"))

    def misleep(sf):
        def make(tmp: Path) -> Path:
            import scipy.io

            rng = np.random.default_rng(0)
            struct = {"EEG_1": rng.standard_normal(SECONDS * 256) * 0.05,
                      "EMG_1": rng.standard_normal(SECONDS * 256) * 0.01}
            if sf is not None:
                struct["sf"] = sf
            scipy.io.savemat(tmp / "rec.mat", {"data": struct})
            return tmp / "rec.mat"
        return make
    cases.append(score_case("misleep-sf-empty", misleep(np.zeros(0)), match="'data.sf' is empty"))
    cases.append(score_case("misleep-sf-text", misleep("256"), match="'data.sf' is text"))
    cases.append(score_case("misleep-sf-missing", misleep(None), match="no 'sf'"))
    cases.append(score_case("misleep-sf-zero", misleep(0.0), match="'data.sf' is 0"))

    def garbage(tmp: Path) -> Path:
        (tmp / "rec.mat").write_bytes(b"MATLAB 5.0 MAT-file" + os.urandom(500))
        return tmp / "rec.mat"
    cases.append(score_case("mat-garbage", garbage))

    def truncated(tmp: Path) -> Path:
        _mat()(tmp)
        data = (tmp / "rec.mat").read_bytes()
        (tmp / "rec.mat").write_bytes(data[: len(data) // 2])
        return tmp / "rec.mat"
    cases.append(score_case("mat-truncated", truncated))

    cases.append(score_case("mat73-ok", _mat73(), expect="ok", check=rows_are(SECONDS)))
    cases.append(score_case("mat73-eeg-group", _mat73(eeg={"x": np.zeros(5)}),
                            match="'eeg' is a struct"))
    cases.append(score_case("mat73-eeg-string", _mat73(eeg="hello"), match="'eeg' is text"))
    cases.append(score_case("mat73-rate-string", _mat73(eeg_frequency="256 Hz"),
                            match="'eeg_frequency' is text"))

    def refs(tmp: Path) -> Path:
        import h5py

        path = write_mat73(tmp / "rec.mat", {"eeg_frequency": 256.0})
        with h5py.File(path, "r+") as f:
            target = f.create_dataset("#refs#/a", data=np.zeros(10))
            ds = f.create_dataset("eeg", (1, 1), dtype=h5py.ref_dtype)
            ds[0, 0] = target.ref
            ds.attrs["MATLAB_class"] = np.bytes_(b"cell")
        return path
    cases.append(score_case("mat73-eeg-cell-refs", refs, match="'eeg' is a cell"))

    def h5_truncated(tmp: Path) -> Path:
        path = _mat73()(tmp)
        data = path.read_bytes()
        path.write_bytes(data[:700])
        return path
    cases.append(score_case("mat73-truncated", h5_truncated))
    return cases


# -- tables ------------------------------------------------------------------------------
def _table(text: str | bytes, name: str = "rec.csv"):
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path
    return make


def _good_rows(sep: str = ",", seconds: int = SECONDS, rate: int = 128) -> str:
    rng = np.random.default_rng(0)
    n = seconds * rate
    t = np.arange(n) / rate
    eeg = 50 * np.sin(2 * np.pi * 7 * t) + rng.standard_normal(n)
    emg = 5 * rng.standard_normal(n)
    return f"eeg{sep}emg\n" + "\n".join(f"{a:.3f}{sep}{b:.3f}" for a, b in zip(eeg, emg, strict=True))


def table_cases() -> list[Case]:
    good = _good_rows()
    cases = [
        score_case("csv-no-rate", _table(good), match="--rate"),
        score_case("csv-rate-zero", _table(good), "--rate", "0", match="--rate", names="--rate"),
        score_case("csv-rate-negative", _table(good), "--rate", "-5", names="--rate"),
        score_case("csv-rate-nan", _table(good), "--rate", "nan", names="--rate"),
        score_case("csv-text-value", _table(good + "\nabc,1\n"), "--rate", "128"),
        score_case("csv-short-row", _table("eeg,emg\n1,2\n3\n"), "--rate", "128"),
        score_case("csv-no-eeg-column", _table("a,b\n1,2\n"), "--rate", "128",
                   match="no EEG column"),
        score_case("csv-empty", _table(""), "--rate", "128"),
        score_case("csv-not-utf8", _table(b"eeg,emg\n\xff\xfe,\x80\n"), "--rate", "128"),
        score_case("csv-ok", _table(good), "--rate", "128", expect="ok", check=rows_are(SECONDS)),
        score_case("tsv-ok", _table(_good_rows("\t"), "rec.tsv"), "--rate", "128", expect="ok",
                   check=rows_are(SECONDS)),
        score_case("tsv-commas", _table(good, "rec.tsv"), "--rate", "128",
                   match="comma-separated"),
        score_case("parquet-garbage", _table(b"PAR1" + os.urandom(300) + b"PAR1", "rec.parquet"),
                   "--rate", "128", match="Parquet"),
        score_case("parquet-text", _table("eeg,emg\n1,2\n", "rec.parquet"), "--rate", "128"),
    ]

    def parquet_truncated(tmp: Path) -> Path:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = tmp / "rec.parquet"
        pq.write_table(pa.table({"eeg": np.zeros(5000), "emg": np.zeros(5000)}), path)
        path.write_bytes(path.read_bytes()[:200])
        return path
    cases.append(score_case("parquet-truncated", parquet_truncated, "--rate", "128"))
    return cases


# -- BIDS --------------------------------------------------------------------------------
def bids_cases() -> list[Case]:
    def with_channels(content: bytes):
        def make(tmp: Path) -> Path:
            rec = good_edf(tmp / "sub-1_task-sleep_eeg.edf")
            (tmp / "sub-1_task-sleep_channels.tsv").write_bytes(content)
            return rec
        return make

    def events(text: str):
        def build(tmp: Path, model: Path):
            path = tmp / "sub-1_task-sleep_events.tsv"
            path.write_text(text)
            return ["convert-labels", path, tmp / "out.csv"], [path]
        return build

    return [
        score_case("bids-channels-not-utf8", with_channels(b"name\ttype\n\xff\xfeEEG\tEEG\n"),
                   names="channels.tsv", match="UTF-8"),
        score_case("bids-channels-no-name", with_channels(b"label\ttype\nEEG1\tEEG\n"),
                   expect="ok", check=rows_are(SECONDS)),
        Case("bids-event-onset-1e12", events("onset\tduration\tstage\n0\t4\t1\n1e12\t4\t2\n"),
             match="days"),
        Case("bids-events-overlap", events("onset\tduration\tstage\n0\t4\t1\n2\t4\t2\n"),
             match="overlap"),
        Case("bids-event-negative-duration", events("onset\tduration\tstage\n0\t-4\t1\n"),
             match="duration"),
        Case("bids-event-negative-onset", events("onset\tduration\tstage\n-8\t4\t1\n"),
             match="onset"),
        Case("bids-event-unknown-code", events("onset\tduration\tstage\n0\t4\t9\n"),
             match="unknown stage code"),
    ]


# -- label files -------------------------------------------------------------------------
def _labels(content: str | bytes, name: str = "labels.csv", *extra):
    def build(tmp: Path, model: Path):
        path = tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return ["convert-labels", path, tmp / "out.csv", *extra], [path]
    return build


def placed(expected: list[str]):
    def check(tmp: Path, o: Outcome) -> str | None:
        rows = [r.split(",") for r in (tmp / "out.csv").read_text().splitlines()[1:]]
        got = [r[3] for r in rows]
        return None if got == expected else f"placed {got}, expected {expected}"
    return check


def label_cases() -> list[Case]:
    ok = [(0, 0, 1, "Wake", "", "expert"), (1, 1, 1, "NREM", "", "expert")]
    bad = {
        "duplicate-epoch": ([*ok, (1, 1, 1, "REM", "", "expert")], "both epoch 1"),
        "epoch-onset-disagree": ([ok[0], (1, 5, 1, "REM", "", "expert")], "epoch 1 but onset_s 5"),
        "duration-zero": ([(0, 0, 0, "Wake", "", "expert")], "duration_s 0"),
        "duration-negative": ([(0, 0, -1, "Wake", "", "expert")], "duration_s -1"),
        "duration-empty": ([(0, 0, "", "Wake", "", "expert")], "duration_s empty"),
        "duration-mixed": ([ok[0], (1, 1, 2, "NREM", "", "expert")], "differs"),
        "duration-text": ([(0, 0, "one", "Wake", "", "expert")], "duration_s"),
        "confidence-7.5": ([(0, 0, 1, "Wake", 7.5, "model")], "confidence 7.5"),
        "confidence-neg": ([(0, 0, 1, "Wake", -3, "model")], "confidence -3"),
        "confidence-inf": ([(0, 0, 1, "Wake", "inf", "model")], "confidence inf"),
        "stage-unknown": ([(0, 0, 1, "Dreaming", "", "expert")], "unknown stage"),
        "source-unknown": ([(0, 0, 1, "Wake", "", "robot")], "unknown source"),
        "epoch-negative": ([(-1, "", 1, "Wake", "", "expert")], "epoch -1"),
        "epoch-fraction": ([(1.5, "", 1, "Wake", "", "expert")], "epoch 1.5"),
        "onset-off-grid": ([(0, 0.3, 1, "Wake", "", "expert")], "onset_s 0.3"),
        "onset-negative": ([(0, -1, 1, "Wake", "", "expert")], "onset_s -1"),
        "epoch-huge": ([(10**12, "", 1, "Wake", "", "expert")], "days"),
    }
    cases = [Case(f"labels-{k}", _labels(labels_csv(rows)), match=m) for k, (rows, m) in bad.items()]
    cases += [
        Case("labels-empty", _labels(""), match="empty"),
        Case("labels-header-only", _labels(labels_csv([])), match="no rows"),
        Case("labels-binary", _labels(os.urandom(300) + b"\xff")),
        Case("labels-not-utf8", _labels(b"epoch,stage\n0,W\xe4ke\n"), match="UTF-8"),
        Case("labels-p-outside", _labels(labels_csv([(0, 0, 1, "Wake", 0.5, "model", 1.5, 0, 0)],
                                                    "epoch,onset_s,duration_s,stage,confidence,"
                                                    "source,p_Wake,p_NREM,p_REM")),
             match="p_wake 1.5"),
        Case("labels-unknown-columns", _labels("a,b\n1,2\n"), match="not a label file"),
        Case("labels-epoch-length-bad", _labels(labels_csv(ok), "labels.csv", "--epoch-length",
                                                "-2"), names="--epoch-length"),
        Case("labels-out-of-order", _labels(labels_csv([ok[1], ok[0]])), expect="ok",
             check=placed(["Wake", "NREM"])),
        Case("labels-gap", _labels(labels_csv([ok[0], (3, 3, 1, "REM", "", "expert")])),
             expect="ok", check=placed(["Wake", "Unscored", "Unscored", "REM"])),
        Case("labels-tsv", _labels(labels_csv(ok).replace(",", "\t"), "labels.tsv"), expect="ok",
             check=placed(["Wake", "NREM"])),
        Case("accusleep-odd-codes", _labels("brain_state\n1\n2\n7\n\n3\n"), expect="ok",
             check=lambda t, o: None if "not stages" in o.err else "odd codes without a warning"),
    ]

    def mat_labels(value, name="labels.mat"):
        def build(tmp: Path, model: Path):
            import scipy.io

            path = tmp / name
            scipy.io.savemat(path, value)
            return ["convert-labels", path, tmp / "out.csv"], [path]
        return build
    cases += [
        Case("labels-mat-scores-string", mat_labels({"sleep_scores": "wake"}),
             match="'sleep_scores' is text"),
        Case("labels-mat-no-scores", mat_labels({"x": 1.0}), match="no 'sleep_scores'"),
        Case("labels-mat-scores-struct", mat_labels({"sleep_scores": {"a": 1.0}}),
             match="'sleep_scores' is a struct"),
    ]
    return cases


# -- outputs -----------------------------------------------------------------------------
def _out_is_model(tmp: Path, model: Path):
    rec = good_edf(tmp / "rec.edf")
    return _score(rec, tmp, model, out=model), [rec, model]


def output_cases() -> list[Case]:
    def rec_to(target):
        def build(tmp: Path, model: Path):
            rec = good_edf(tmp / "rec.edf")
            out = target(tmp, rec)
            return _score(rec, tmp, model, out=out), [rec, model]
        return build

    def fifo(tmp: Path, rec: Path) -> Path:
        os.mkfifo(tmp / "pipe.csv")
        return tmp / "pipe.csv"

    def symlink(tmp: Path, rec: Path) -> Path:
        (tmp / "link.csv").symlink_to(rec)
        return tmp / "link.csv"

    def hardlink(tmp: Path, rec: Path) -> Path:
        os.link(rec, tmp / "hard.csv")
        return tmp / "hard.csv"

    def under_file(tmp: Path, rec: Path) -> Path:
        (tmp / "afile").write_text("x")
        return tmp / "afile" / "out.csv"

    def labels(tmp: Path) -> Path:
        path = tmp / "a.csv"
        path.write_text(labels_csv([(0, 0, 1, "Wake", "", "expert")]))
        return path

    def convert_to(target):
        def build(tmp: Path, model: Path):
            src = labels(tmp)
            out = target(tmp, src)
            return ["convert-labels", src, out], [src]
        return build

    def into_oe(tmp: Path, model: Path):
        folder = write_openephys(tmp / "oe", seconds=SECONDS)
        return _score(folder, tmp, model, out=folder / "EEG.continuous"), [folder, model]

    def batch_collide(tmp: Path, model: Path):
        for d in ("d1", "d2"):
            (tmp / d).mkdir()
            good_edf(tmp / d / "rec.edf")
        ins = [tmp / "d1" / "rec.edf", tmp / "d2" / "rec.edf"]
        return ["score", *ins, "--out", tmp / "o", "--model", model, "--device", "cpu"], ins

    def batch_check(tmp: Path, o: Outcome) -> str | None:
        names = sorted(p.name for p in (tmp / "o").glob("*.csv"))  # beside each: its provenance record
        if names != ["d1_rec_scored.csv", "d2_rec_scored.csv"]:
            return f"batch wrote {names}"
        return None if all(str(tmp / "o" / n) in o.out for n in names) else "summary lacks files"

    def same_stem(tmp: Path, model: Path):
        import scipy.io

        (tmp / "s").mkdir()
        good_edf(tmp / "s" / "rec.edf")
        scipy.io.savemat(tmp / "s" / "rec.mat", sdreamer_mat(SECONDS))
        return (["score", tmp / "s", "--out", tmp / "o", "--model", model, "--device", "cpu"],
                [tmp / "s"])

    def same_stem_check(tmp: Path, o: Outcome) -> str | None:
        names = sorted(p.name for p in (tmp / "o").glob("*.csv"))
        return None if names == ["rec_edf_scored.csv", "rec_mat_scored.csv"] else f"wrote {names}"

    def out_dot(tmp: Path, model: Path):
        rec = good_edf(tmp / "rec.edf")
        return _score(rec, tmp, model, out=Path(os.path.relpath(tmp))), [rec, model]

    def finetune_to(target):
        def build(tmp: Path, model: Path):
            out = target(tmp)
            return ["finetune", tmp / "no-corrections", "--out", out], [model]
        return build

    def export_to_file(tmp: Path, model: Path):
        rec = good_edf(tmp / "rec.edf")
        lab = labels(tmp)
        return ["export-corrections", rec, lab, "--out", lab], [rec, lab]

    def existing_dir(tmp: Path, src: Path) -> Path:
        (tmp / "d").mkdir()
        return tmp / "d"

    def bids_events(tmp: Path, model: Path):
        rec = good_edf(tmp / "sub-1_task-sleep_eeg.edf")
        events = tmp / "sub-1_task-sleep_events.tsv"
        events.write_text("onset\tduration\tstage\n0\t4\t1\n")
        return _score(rec, tmp, model, out=events), [rec, events, model]

    return [
        Case("out-is-input", rec_to(lambda t, r: r), match="is the input", names="rec.edf"),
        Case("out-is-the-model", _out_is_model, match="is the input", names="m.safetensors"),
        Case("out-is-bids-events", bids_events, match="is the input", names="events.tsv"),
        Case("out-dev-null", rec_to(lambda t, r: Path("/dev/null")), names="/dev/null",
             match="not a regular file"),
        Case("out-fifo", rec_to(fifo), names="pipe.csv", match="not a regular file"),
        Case("out-symlink-to-input", rec_to(symlink), names="link.csv", match="is the input"),
        Case("out-hardlink-to-input", rec_to(hardlink), names="hard.csv", match="is the input"),
        Case("out-under-a-file", rec_to(under_file), names="out.csv", match="is not a folder"),
        Case("out-into-input-folder-file", into_oe, names="EEG.continuous", match="is the input"),
        Case("convert-onto-itself", convert_to(lambda t, s: s), names="a.csv",
             match="is the input"),
        Case("convert-onto-folder", convert_to(existing_dir), names="d", match="existing folder"),
        Case("convert-onto-devnull", convert_to(lambda t, s: Path("/dev/null")), names="/dev/null"),
        Case("convert-missing-parent", convert_to(lambda t, s: t / "new" / "x" / "o.csv"),
             expect="ok", check=lambda t, o: None if (t / "new" / "x" / "o.csv").is_file()
             else "not written"),
        Case("finetune-out-folder", finetune_to(lambda t: (t / "m.safetensors").mkdir() or
                                                t / "m.safetensors"), names="m.safetensors",
             match="existing folder"),
        Case("finetune-out-under-file", finetune_to(lambda t: (t / "f").write_text("x") and
                                                    t / "f" / "m.safetensors"),
             names="m.safetensors", match="not a folder"),
        Case("export-corrections-onto-labels", export_to_file, names="a.csv",
             match="not a folder"),
        Case("batch-same-name-two-folders", batch_collide, expect="ok", check=batch_check),
        Case("batch-same-stem-two-formats", same_stem, expect="ok", check=same_stem_check),
        Case("out-dot", out_dot, expect="ok", check=rows_are(SECONDS, "rec_scored.csv")),
    ]


# -- options and recordings that are not files ------------------------------------------
def option_cases() -> list[Case]:
    cases = [score_case(f"epoch-length-{v}", lambda t: good_edf(t / "rec.edf"), "--epoch-length",
                        v, names="--epoch-length") for v in ("-1", "0", "nan", "inf", "0.37", "1e9")]
    cases += [
        score_case("epoch-length-2.5", lambda t: good_edf(t / "rec.edf"), "--epoch-length", "2.5",
                   expect="ok", check=rows_are(8)),
        score_case("jobs-zero", lambda t: t, "--jobs", "0", names="--jobs"),
        score_case("eeg-typo", lambda t: good_edf(t / "rec.edf"), "--eeg", "Chanel1",
                   match="no channel named 'Chanel1'; the channels are EEG1, EMG1"),
        score_case("eeg-emg-same", lambda t: good_edf(t / "rec.edf"), "--eeg", "EEG1", "--emg",
                   "EEG1", names="EEG1", match="both name"),
    ]

    def fifo_rec(tmp: Path) -> Path:
        os.mkfifo(tmp / "rec.edf")
        return tmp / "rec.edf"
    cases.append(score_case("recording-fifo", fifo_rec, match="not a regular file"))
    cases.append(score_case("recording-missing", lambda t: t / "nope.edf", match="not found"))
    cases.append(score_case("recording-unknown-type",
                            lambda t: (t / "rec.xyz").write_text("x") and t / "rec.xyz",
                            match="unknown file type"))

    def empty_dir(tmp: Path) -> Path:
        (tmp / "empty").mkdir()
        return tmp / "empty"
    cases.append(score_case("recording-empty-folder", empty_dir, match="no recordings found"))

    def loop(tmp: Path) -> Path:
        root = tmp / "study"
        (root / "a").mkdir(parents=True)
        good_edf(root / "a" / "rec.edf")
        (root / "a" / "loop").symlink_to(root)
        return root

    def loop_build(tmp: Path, model: Path):
        root = loop(tmp)
        return (["score", root, "--recursive", "--out", tmp / "o", "--model", model,
                 "--device", "cpu"], [root, model])

    def loop_check(tmp: Path, o: Outcome) -> str | None:
        written = [p for p in (tmp / "o").rglob("*.csv")]
        return None if len(written) == 1 else f"{len(written)} outputs for one recording"
    cases.append(Case("recursive-symlink-loop", loop_build, expect="ok", check=loop_check))
    return cases


def all_cases() -> list[Case]:
    cases = (edf_cases() + openephys_cases() + mat_cases() + table_cases() + bids_cases()
             + label_cases() + output_cases() + option_cases() + kind_cases())
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return cases


def cleanup(tmp: Path) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
