"""The simulated training corpus behind the shipped weights, and its held-out splits.

State sequences are real MSSV expert hypnograms (labs 1-4; lab_5 stays held out) or draws
from the semi-Markov sampler fitted to them; signals come from the simulator's lab
families. Whole animals are kept out for testing, and one whole simulated lab
(`HELD_OUT_LAB`) is never trained on. Everything is deterministic in `CorpusSpec.seed`
and cached as .npy files so training can restart without re-simulating.

No figure measured on this corpus is a measurement on real data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from sleepscorer_model.data import SubjectData, prepare_subject
from sleepscorer_model.preprocess import PreprocessConfig

from sleepscorer.hypnogram import Hypnogram

HELD_OUT_LAB = "lab_b"
TRAIN_LABS = ("lab_a", "lab_c", "lab_d", "lab_e")
# Recording rates differ by lab so resampling is part of what the model sees.
LAB_RATES = {"lab_a": 512.0, "lab_b": 256.0, "lab_c": 1000.0, "lab_d": 500.0, "lab_e": 400.0}
# Spectral front end (model.spectral): robust-scaled log spectra, what transfers between
# generators; raw-sample input learned the simulator's waveforms (real demo 0.67-0.87).
# Shape features (v3): composition-free spectral shape and local EMG activity beside them.
PREPROCESS = PreprocessConfig(front_end="spectral", scale_lo=10.0, scale_hi=90.0, shape_features=True)
CORPUS_VERSION = 5  # bump when PREPROCESS or the simulator changes: the cache is per version


@dataclass(frozen=True)
class AnimalSpec:
    subject: str  # e.g. "lab_a-03"
    lab: str
    split: str  # "train", "val", "test" (held-out animal) or "lab-test" (held-out lab)
    seed: int
    hypnogram: str | None  # MSSV "sub-XXX/run-N" whose stages it follows, or None: sampler
    offset_s: int


@dataclass(frozen=True)
class CorpusSpec:
    hours: float = 2.0
    animals_per_lab: int = 8  # per training lab: 6 train, 1 validation, 1 test
    held_out_animals: int = 4
    train_labs: tuple[str, ...] = TRAIN_LABS
    held_out_lab: str = HELD_OUT_LAB
    seed: int = 2026
    mssv_fraction: float = 0.75  # animals following a real MSSV hypnogram (rest: sampler)
    # Extra training animals per lab, planned after all others so earlier animals keep their
    # seeds. lab_c is the family calibrated on the real low-amplitude, weak-delta recording:
    # the hardest case, so it gets more animals.
    extra_train: tuple[tuple[str, int], ...] = (("lab_c", 8),)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=2)
def _mssv_pool(folder: Path) -> list:
    from sleepscorer_model.simulation import load_mssv

    return load_mssv(folder) if folder.is_dir() else []


def plan(spec: CorpusSpec, mssv_folder: Path) -> list[AnimalSpec]:
    """Which animal gets which lab, split, seed and state sequence."""
    rng = np.random.default_rng(spec.seed)
    pool = _mssv_pool(Path(mssv_folder))
    animals = []
    groups = [(lab, spec.animals_per_lab) for lab in spec.train_labs]
    groups.append((spec.held_out_lab, spec.held_out_animals))
    groups.extend(spec.extra_train)
    for g, (lab, count) in enumerate(groups):
        extra = g > len(spec.train_labs)
        first = spec.animals_per_lab if extra else 0
        for i in range(first, first + count):
            if extra:
                split = "train"
            elif lab == spec.held_out_lab:
                split = "lab-test"
            else:
                split = "val" if i == count - 2 else "test" if i == count - 1 else "train"
            hyp_name, offset = None, 0
            if pool and rng.random() < spec.mssv_fraction:
                rec = pool[int(rng.integers(len(pool)))]
                length_s = int(len(rec.stages) * rec.epoch_length)
                span = max(0, length_s - int(spec.hours * 3600))
                offset = int(rng.integers(span + 1)) // int(rec.epoch_length) * int(rec.epoch_length)
                hyp_name = f"{rec.subject}/{rec.run}"
            animals.append(AnimalSpec(f"{lab}-{i:02d}", lab, split, int(rng.integers(2**31)),
                                      hyp_name, offset))
    return animals


def simulate_animal(a: AnimalSpec, hours: float, mssv_folder: Path):  # noqa: ANN201
    """(Recording, Hypnogram) of one planned animal."""
    from sleepscorer_model.simulation import simulate_recording

    n_s = int(hours * 3600)
    source: Hypnogram | float = float(n_s)
    if a.hypnogram is not None:
        subject, run = a.hypnogram.split("/")
        rec = next(r for r in _mssv_pool(Path(mssv_folder)) if r.subject == subject and r.run == run)
        k = int(rec.epoch_length)
        start = a.offset_s // k
        stages = rec.stages[start:start + n_s // k]
        source = Hypnogram.from_arrays(stages, rec.epoch_length)
    return simulate_recording(source, rate=LAB_RATES.get(a.lab.removesuffix("_shifted"), 512.0),
                              seed=a.seed, lab=a.lab)


def load_corpus(spec: CorpusSpec, cache_dir: Path, mssv_folder: Path,
                splits: tuple[str, ...] | None = None, log=print,  # noqa: ANN001
                version: int = CORPUS_VERSION) -> dict[str, list[SubjectData]]:
    """Simulate (or read from cache) every planned animal, grouped by split.

    The cache lives in `cache_dir/v{version}`, so arrays made with other preprocessing are
    never mixed in. Only today's version can be simulated; an earlier one must be cached.
    """
    cache_dir = Path(cache_dir) / f"v{version}"
    cache_dir.mkdir(parents=True, exist_ok=True)
    (cache_dir / "spec.json").write_text(json.dumps(spec.to_dict(), indent=2))
    out: dict[str, list[SubjectData]] = {}
    for a in plan(spec, mssv_folder):
        if splits is not None and a.split not in splits:
            continue

        def simulate(a: AnimalSpec = a) -> SubjectData:
            if version != CORPUS_VERSION:
                raise FileNotFoundError(f"{cache_dir / a.subject}: corpus v{version} is not cached, "
                                        f"and only v{CORPUS_VERSION} can be simulated")
            recording, hyp = simulate_animal(a, spec.hours, mssv_folder)
            data = prepare_subject(recording, hyp, subject=a.subject, cfg=PREPROCESS)
            log(f"simulated {a.subject} ({a.split}, {a.hypnogram or 'sampler'})")
            return data
        out.setdefault(a.split, []).append(cached_subject(cache_dir, a.subject, a.subject, simulate))
    return out


def cached_subject(folder: Path, stem: str, subject: str, make: Callable[[], SubjectData]) -> SubjectData:
    """`folder/stem-{eeg,emg,labels}.npy` as a SubjectData named `subject`; `make()` fills the
    cache first when any of the three is missing."""
    files = [folder / f"{stem}-{part}.npy" for part in ("eeg", "emg", "labels")]
    if not all(f.exists() for f in files):
        data = make()
        for f, arr in zip(files, (data.eeg, data.emg, data.labels), strict=True):
            np.save(f, arr)
    eeg, emg, labels = (np.asarray(np.load(f, mmap_mode="r")) for f in files)
    return SubjectData(subject, eeg, emg, labels)


def summary(corpus: dict[str, list[SubjectData]]) -> dict:
    """Counts per split for the model card, and a hash of each split's arrays.

    Why the hash: a card named its corpus only by spec and version, so a corpus made again
    (or made by another simulator version) could not be checked against it. Floats may differ
    in the last bit between machines, so a differing hash says "look", not "wrong".
    """
    info = {}
    for split, subjects in corpus.items():
        labels = np.concatenate([s.labels for s in subjects])
        info[split] = {"animals": len(subjects), "epochs": int(len(labels)),
                       "class_counts": np.bincount(labels[labels >= 0], minlength=3).tolist(),
                       "sha256": split_sha256(subjects)}
    return info


def split_sha256(subjects: list[SubjectData]) -> str:
    """SHA-256 over each subject's name, labels and features, in the order given."""
    digest = hashlib.sha256()
    for s in subjects:
        digest.update(s.subject.encode())
        for part in (s.labels, s.eeg, s.emg):
            if part is not None:
                digest.update(np.ascontiguousarray(part).tobytes())
    return digest.hexdigest()
