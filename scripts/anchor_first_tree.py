"""Rebuild the first tree (the outside reference, 0.912 on the demo) and score the real files.

Its demo labels, with those of the first shipped network (0.872), are the anchors in
`tests/data/openephys-demo-anchors.csv` (see tests/data/README.md).

Recipe (outside team, verbatim): LightGBM (300 rounds, class-balanced weights) on per-1-s-epoch
features - log EEG power in 0.5-2, 2-4, 4-6, 6-9, 9-12, 12-16, 16-25 and 25-40 Hz, the same
powers as fractions of their sum, and log RMS of the EMG band-passed 10-100 Hz; each feature
scaled per recording by the midpoint and width of its 10th-90th percentile range; the features
of the 8 epochs before and after appended - trained on ten 3-h animals of the project's own
`sleepscorer simulate` (two per lab family) with the simulator's labels.

Training data: made with the OLD simulator (git commit cd4618d) via its CLI, e.g.

    git worktree add /tmp/oldsim cd4618d
    cd /tmp   # NOT the repository root: Python puts the current folder first on sys.path,
              # so from there the NEW simulator runs, silently
    for i in 1 2 3 4 5; do lab=lab_$(echo a b c d e | cut -d' ' -f$i)
      PYTHONPATH=/tmp/oldsim /path/to/repo/.venv/bin/python -m sleepscorer simulate /tmp/oldsim_out \
          --hours 3 --seed $i --lab $lab --animals 2; done

Check that the old simulator ran: the two lab_d animals have 149 and 58 Artifact seconds.

(lab_a seed 1, lab_b seed 2, ..., lab_e seed 5; animals 0 and 1 each; 512 Hz, EDF in uV +
1-s labels CSV). Artifact-labelled seconds (lab_d disconnections) are kept in the feature
context but not used as training rows.

This script (run with the NEW project on the path, WITHOUT the old worktree):

    OMP_NUM_THREADS=1 .venv/bin/python scripts/anchor_first_tree.py [SIM_DIR]

reads the EDFs with the new `load_recording`, trains, saves tree_old.txt, and scores the
Open Ephys demo and the MiSleep MAT file. With `--model-only-predict` it skips training and
loads tree_old.txt.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfiltfilt

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "work-data" / "anchor"
BANDS = [(0.5, 2), (2, 4), (4, 6), (6, 9), (9, 12), (12, 16), (16, 25), (25, 40)]
CONTEXT = 8
STAGE_CODE = {"Wake": 0, "NREM": 1, "REM": 2}  # anything else (Artifact) -> -1
REAL_DEMO = ROOT.parent / "shared/data/real/openephys-mouse-29min"
REAL_MAT = ROOT.parent / "shared/data/real/misleep-10min/10mins_example_mat.mat"


def epochs(x: np.ndarray, rate: float, n_epochs: int) -> np.ndarray:
    """(n_epochs, samples_per_epoch) view-copy: epoch k starts at round(k*rate)."""
    n = int(round(rate))
    starts = np.round(np.arange(n_epochs) * rate).astype(int)
    idx = starts[:, None] + np.arange(n)[None, :]
    return np.asarray(x, dtype=np.float64)[idx]


def raw_features(rec) -> np.ndarray:  # noqa: ANN001 - a sleepscorer Recording
    eeg, emg = rec.eeg, rec.emg
    n_ep = int(min(eeg.duration_s, emg.duration_s) // 1.0)
    # EEG: Hann-windowed FFT of each 1-s epoch (mean removed), zero-padded to 4 s
    e = epochs(eeg.data, eeg.rate, n_ep)
    e = e - e.mean(axis=1, keepdims=True)
    w = np.hanning(e.shape[1])
    nfft = 4 * e.shape[1]
    spec = np.abs(np.fft.rfft(e * w, n=nfft, axis=1)) ** 2
    f = np.fft.rfftfreq(nfft, 1.0 / eeg.rate)
    pw = np.stack([spec[:, (f >= lo) & (f < hi)].sum(axis=1) for lo, hi in BANDS], axis=1)
    pw = np.maximum(pw, 1e-30)
    frac = pw / pw.sum(axis=1, keepdims=True)
    # EMG: 10-100 Hz band-pass (4th-order Butterworth, zero-phase), log RMS per epoch
    hi = min(100.0, 0.45 * emg.rate)
    sos = butter(4, [10.0, hi], btype="bandpass", fs=emg.rate, output="sos")
    m = sosfiltfilt(sos, np.asarray(emg.data, dtype=np.float64))
    m = epochs(m, emg.rate, n_ep)
    lrms = np.log(np.sqrt(np.mean(m ** 2, axis=1)) + 1e-30)
    return np.column_stack([np.log(pw), frac, lrms])


def scale(feats: np.ndarray) -> np.ndarray:
    p10, p90 = np.percentile(feats, [10, 90], axis=0)
    width = np.where(p90 - p10 > 0, p90 - p10, 1.0)
    return (feats - (p10 + p90) / 2) / width


def with_context(feats: np.ndarray, k: int = CONTEXT) -> np.ndarray:
    n = len(feats)
    padded = np.pad(feats, ((k, k), (0, 0)), mode="edge")
    return np.concatenate([padded[k + d: k + d + n] for d in range(-k, k + 1)], axis=1)


def features(rec) -> np.ndarray:  # noqa: ANN001
    return with_context(scale(raw_features(rec)))


def read_labels(csv_path: Path, n: int) -> np.ndarray:
    y = np.full(n, -1, dtype=int)
    with open(csv_path, newline="") as fh:
        for row in csv.DictReader(fh):
            k = int(row["epoch"])
            if k < n:
                y[k] = STAGE_CODE.get(row["stage"], -1)
    return y


def main() -> int:
    import lightgbm as lgb

    from sleepscorer.io import load_recording

    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    predict_only = "--model-only-predict" in sys.argv
    if predict_only:
        booster = lgb.Booster(model_file=str(OUT / "tree_old.txt"))
    else:
        sim_dir = Path(args[0] if args else "/tmp/oldsim_out")
        xs, ys = [], []
        for edf in sorted(sim_dir.glob("lab_*_seed*_animal*.edf")):
            rec = load_recording(edf)
            x = features(rec)
            y = read_labels(edf.with_suffix(".csv"), len(x))
            keep = y >= 0
            xs.append(x[keep])
            ys.append(y[keep])
            print(f"{edf.name}: {keep.sum()} epochs, "
                  + " ".join(f"{s}={np.mean(y[keep] == c):.3f}" for s, c in STAGE_CODE.items()))
        x, y = np.concatenate(xs), np.concatenate(ys)
        counts = np.bincount(y, minlength=3)
        weight = (len(y) / (3.0 * counts))[y]
        params = {"objective": "multiclass", "num_class": 3, "learning_rate": 0.1,
                  "num_leaves": 31, "num_threads": 1, "verbose": -1, "seed": 0}
        booster = lgb.train(params, lgb.Dataset(x, y, weight=weight), num_boost_round=300)
        booster.save_model(str(OUT / "tree_old.txt"))
        print(f"trained on {len(y)} epochs from {len(xs)} animals; class counts {counts.tolist()}")
    for path, stem in ((REAL_DEMO, "tree_old_demo"), (REAL_MAT, "tree_old_misleep_mat")):
        rec = load_recording(path)
        proba = booster.predict(features(rec))
        pred = proba.argmax(axis=1).astype(np.int64)
        np.save(OUT / f"{stem}.npy", pred)
        np.save(OUT / f"{stem}_proba.npy", proba.astype(np.float32))
        frac = np.bincount(pred, minlength=3) / len(pred)
        print(f"{stem}: {len(pred)} epochs (EEG {rec.eeg.name} / EMG {rec.emg.name}, "
              f"{rec.eeg.rate:g} Hz); Wake {frac[0]:.3f} NREM {frac[1]:.3f} REM {frac[2]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
