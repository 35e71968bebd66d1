"""State sequences for simulation: real MSSV expert hypnograms and a semi-Markov sampler.

MSSV hypnograms (4-s epochs, BIDS events.tsv) are read with `sleepscorer.io.labels`,
their Artifact/Unscored epochs are filled with the neighbouring stage, and they are made
1-s by moving every bout boundary by a few seconds (`to_one_second`), so a model trained
on them does not learn that states change on a 4-s grid. `SemiMarkovModel` is fitted to
their bout lengths (per stage) and bout-to-bout transitions and draws unlimited new
sequences; its fitted form ships as `mssv_semi_markov.json` beside this module.

Must not synthesise signals (see `signals`) or know about Qt.
Regenerate the packaged sampler: `python -m sleepscorer_model.simulation.hypnograms MSSV_DIR`.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sleepscorer.stages import LABEL_DTYPE, Stage, runs

MSSV_HELD_OUT_LAB = "lab_5"
MA_MAX_S = 15.0
SAMPLER_FILE = Path(__file__).with_name("mssv_semi_markov.json")
SLEEP_STATES = (Stage.WAKE, Stage.NREM, Stage.REM)


@dataclass(frozen=True)
class MssvHypnogram:
    """One expert-scored MSSV recording: stages at `epoch_length` s (Stage codes)."""

    subject: str
    run: str
    lab: str
    stages: np.ndarray
    epoch_length: float


def _participant_labs(folder: Path) -> dict[str, str]:
    table = folder / "participants.tsv"
    if not table.is_file():
        return {}
    with table.open(newline="") as fh:
        return {row["participant_id"]: row["lab"] for row in csv.DictReader(fh, delimiter="\t")}


def load_mssv(folder: str | Path, labs: tuple[str, ...] | None = None,
              exclude_labs: tuple[str, ...] = (MSSV_HELD_OUT_LAB,),
              limit: int | None = None) -> list[MssvHypnogram]:
    """MSSV hypnograms in `folder` (participants.tsv maps subject -> lab), at most `limit`.

    `labs` keeps only those labs; `exclude_labs` (default: the held-out lab_5) drops labs.
    """
    from sleepscorer.io.labels import read_bids_events

    folder = Path(folder)
    lab_of = _participant_labs(folder)
    out = []
    for path in sorted(folder.glob("sub-*_events.tsv")):
        subject = path.name.split("_")[0]
        run = next((p for p in path.name.split("_") if p.startswith("run-")), "run-1")
        lab = lab_of.get(subject, "unknown")
        if (labs is not None and lab not in labs) or lab in exclude_labs:
            continue
        if limit is not None and len(out) >= limit:
            break
        hyp = read_bids_events(path)
        out.append(MssvHypnogram(subject, run, lab, hyp.stages.copy(), hyp.epoch_length))
    return out


def fill_unscorable(stages: np.ndarray) -> np.ndarray:
    """Artifact and Unscored epochs take the previous scored stage (the next one at the start)."""
    stages = np.asarray(stages, dtype=LABEL_DTYPE)
    good = np.isin(stages, [int(s) for s in SLEEP_STATES])
    if not good.any():
        return np.full_like(stages, Stage.WAKE)
    idx = np.where(good, np.arange(len(stages)), -1)
    idx = np.maximum.accumulate(idx)
    idx[idx < 0] = np.flatnonzero(good)[0]
    return stages[idx]


def bouts(stages: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal value: (starts, lengths, values)."""
    values, starts, stops = runs(stages)
    return starts, stops - starts, values


def to_one_second(stages: np.ndarray, epoch_length: float, rng: np.random.Generator,
                  jitter_s: int = 2) -> np.ndarray:
    """Labels at 1 s from labels at `epoch_length` s, each bout boundary moved by up to ±jitter_s.

    Bouts keep at least 1 s; the total length is `len(stages) * epoch_length`.
    """
    k = int(round(epoch_length))
    if abs(k - epoch_length) > 1e-9 or k < 1:
        raise ValueError(f"epoch length {epoch_length} s is not a whole number of seconds")
    starts, lengths, values = bouts(stages)
    n = len(stages) * k
    if len(values) <= 1:
        return np.repeat(np.asarray(stages, dtype=LABEL_DTYPE), k)
    edges = (starts[1:] * k).astype(np.int64)
    edges = edges + rng.integers(-jitter_s, jitter_s + 1, size=len(edges))
    order = np.arange(len(edges))
    edges = np.maximum.accumulate(np.maximum(edges, 1) - order) + order  # strictly increasing
    edges = np.minimum(edges, n - len(edges) + order)  # leave >= 1 s for every later bout
    lengths_1s = np.diff(np.concatenate([[0], edges, [n]]))
    return np.repeat(values.astype(LABEL_DTYPE), lengths_1s)


def mark_microarousals(stages: np.ndarray, epoch_length: float = 1.0,
                       max_s: float = MA_MAX_S) -> np.ndarray:
    """Wake bouts of at most `max_s` seconds with NREM on both sides become MA."""
    stages = np.asarray(stages, dtype=LABEL_DTYPE).copy()
    starts, lengths, values = bouts(stages)
    for i in range(1, len(values) - 1):
        if (values[i] == Stage.WAKE and lengths[i] * epoch_length <= max_s
                and values[i - 1] == Stage.NREM and values[i + 1] == Stage.NREM):
            stages[starts[i]:starts[i] + lengths[i]] = Stage.MA
    return stages


@dataclass
class SemiMarkovModel:
    """Bout-level model: stage i lasts a length drawn from its histogram, then moves to j != i.

    `length_counts[i][m]` counts bouts of stage `states[i]` lasting m+1 epochs of
    `epoch_length` s; `transitions[i, j]` is P(next bout is j | this bout is i).
    """

    states: tuple[int, ...]
    epoch_length: float
    initial: np.ndarray
    transitions: np.ndarray
    length_counts: list[np.ndarray]

    @classmethod
    def fit(cls, sequences: list[np.ndarray], epoch_length: float) -> SemiMarkovModel:
        states = tuple(int(s) for s in SLEEP_STATES)
        k = len(states)
        index = {s: i for i, s in enumerate(states)}
        trans = np.zeros((k, k))
        initial = np.zeros(k)
        lengths: list[list[np.ndarray]] = [[] for _ in states]
        for seq in sequences:
            _, lens, vals = bouts(fill_unscorable(seq))
            if len(vals) == 0:
                continue
            ids = np.array([index[int(v)] for v in vals])
            initial[ids[0]] += 1
            np.add.at(trans, (ids[:-1], ids[1:]), 1)
            for i in range(k):
                lengths[i].append(lens[ids == i])
        counts = []
        for i in range(k):
            lens = np.concatenate(lengths[i]) if lengths[i] else np.ones(1, int)
            counts.append(np.bincount(lens - 1).astype(np.int64))
        trans = (trans + 1e-3 * (1 - np.eye(k))) * (1 - np.eye(k))
        trans /= trans.sum(axis=1, keepdims=True)
        return cls(states, float(epoch_length), (initial + 1) / (initial + 1).sum(), trans, counts)

    def sample_coarse(self, n_epochs: int, rng: np.random.Generator) -> np.ndarray:
        """`n_epochs` labels at the model's own epoch length."""
        probs = [c / c.sum() for c in self.length_counts]
        out = np.empty(n_epochs, dtype=LABEL_DTYPE)
        i = int(rng.choice(len(self.states), p=self.initial))
        pos = 0
        while pos < n_epochs:
            length = int(rng.choice(len(probs[i]), p=probs[i])) + 1
            out[pos:pos + length] = self.states[i]
            pos += length
            i = int(rng.choice(len(self.states), p=self.transitions[i]))
        return out

    def sample(self, n_seconds: int, rng: np.random.Generator, jitter_s: int = 2) -> np.ndarray:
        """`n_seconds` 1-s labels (Wake/NREM/REM), bout boundaries jittered off the coarse grid."""
        k = int(round(self.epoch_length))
        coarse = self.sample_coarse(-(-n_seconds // k), rng)
        return to_one_second(coarse, self.epoch_length, rng, jitter_s)[:n_seconds]

    def stationary_proportions(self) -> dict[int, float]:
        """Expected fraction of time in each state (embedded chain x mean bout length)."""
        evals, evecs = np.linalg.eig(self.transitions.T)
        pi = np.real(evecs[:, np.argmin(np.abs(evals - 1))])
        pi = pi / pi.sum()
        mean_len = np.array([(np.arange(1, len(c) + 1) * c).sum() / c.sum()
                             for c in self.length_counts])
        time = pi * mean_len
        return {s: float(t) for s, t in zip(self.states, time / time.sum(), strict=True)}

    def to_dict(self) -> dict:
        return {"states": list(self.states), "epoch_length": self.epoch_length,
                "initial": self.initial.tolist(), "transitions": self.transitions.tolist(),
                "length_counts": [c.tolist() for c in self.length_counts]}

    @classmethod
    def from_dict(cls, d: dict) -> SemiMarkovModel:
        return cls(tuple(d["states"]), float(d["epoch_length"]), np.asarray(d["initial"]),
                   np.asarray(d["transitions"]),
                   [np.asarray(c, dtype=np.int64) for c in d["length_counts"]])


def fit_mssv_sampler(folder: str | Path, exclude_labs: tuple[str, ...] = (MSSV_HELD_OUT_LAB,),
                     ) -> SemiMarkovModel:
    records = load_mssv(folder, exclude_labs=exclude_labs)
    return SemiMarkovModel.fit([r.stages for r in records], records[0].epoch_length)


def default_sampler() -> SemiMarkovModel:
    """The sampler fitted to MSSV labs 1-4 (lab_5 held out), shipped with the package."""
    return SemiMarkovModel.from_dict(json.loads(SAMPLER_FILE.read_text()))


if __name__ == "__main__":  # regenerate the packaged sampler
    model = fit_mssv_sampler(sys.argv[1])
    SAMPLER_FILE.write_text(json.dumps(model.to_dict()))
    print(SAMPLER_FILE, {Stage(s).label: round(p, 3) for s, p in model.stationary_proportions().items()})
