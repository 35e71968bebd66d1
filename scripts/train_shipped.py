"""Train the shipped sequence-sDREAMER weights on the simulated corpus (see model/corpus.py).

    python scripts/train_shipped.py [--minutes 40] [--out resources/weights/sdreamer-seq.safetensors]

Writes a checkpoint after every training epoch (work-data/checkpoints/), so an interrupted run
still leaves usable weights, and the final weights with their model card. The card's
metrics are on held-out SIMULATED animals and a held-out SIMULATED lab, never on real data.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sleepscorer_model.corpus import CORPUS_VERSION, PREPROCESS, CorpusSpec, load_corpus, summary  # noqa: E402
from sleepscorer_model.data import class_weights  # noqa: E402
from sleepscorer_model.spectral import EEG_FEATURES, EMG_FEATURES  # noqa: E402
from sleepscorer_model.training import TrainConfig, train  # noqa: E402
from sleepscorer_model.weights import build_model, save_model  # noqa: E402

MSSV = ROOT.parent / "shared" / "data" / "mssv-hypnograms"
DATA_STATEMENT = (
    "Trained on a SIMULATED corpus: state sequences are real expert hypnograms of the MSSV "
    "dataset (CC0; labs 1-4, 4-s epochs made 1-s with jittered boundaries) or draws from a "
    "semi-Markov model fitted to them; EEG/EMG signals are synthetic, with statistics "
    "calibrated on real unlabelled mouse recordings (Open Ephys, MiSleep). No labelled real "
    "rodent EEG/EMG was used, and every metric in this card is measured on simulated data."
)


def shipped_class_weights(subjects: list, n_classes: int = 3) -> list[float]:
    """Frequency^-0.75 weights: REM is rare (~7 %) and the hardest class; full inverse
    weighting over-calls it, inverse-sqrt let it vanish behind quiet Wake."""
    return [round(w, 3) for w in class_weights(subjects, n_classes, power=0.75)]


def spectral_config(args: argparse.Namespace) -> dict:
    """sDREAMER sizes for the spectral front end: 80 EEG bins in patches of 16 (8 Hz), 12 EMG
    features in patches of 4; FFN 2x d_model; K epochs of context. Sized so that training
    fits a 2-core CPU in well under an hour and 24 h scores in seconds."""
    from sleepscorer_model.spectral import (
        EEG_FEATURES,
        EEG_SHAPE_FEATURES,
        EMG_FEATURES,
        EMG_SHAPE_FEATURES,
    )

    shape = PREPROCESS.shape_features
    return {"eeg_features": EEG_FEATURES + shape * EEG_SHAPE_FEATURES,
            "emg_features": EMG_FEATURES + shape * EMG_SHAPE_FEATURES, "eeg_patch": args.eeg_patch,
            "emg_patch": 4, "ffn_dim": args.ffn, "seq_len": args.seq_len}


def card_preprocessing(args: argparse.Namespace) -> dict:
    """The front end the card records: the corpus's, read twice if trained with shape dropout,
    rescaled by its own labels if trained with mixture scaling."""
    from dataclasses import replace

    shares = tuple(args.mixture_shares) if args.mixture_shares else None
    return replace(PREPROCESS, shape_passes=2 if args.shape_dropout > 0 else 1,
                   mixture_shares=shares).to_dict()


def mixture_scaled(subjects: list, shares: list[float]) -> list:
    """Each animal scaled by a reference with these Wake/NREM/REM shares drawn from its labels
    (model.spectral.rescaled_by_mixture): what mixture scaling shows the network at inference."""
    from dataclasses import replace

    from sleepscorer_model.spectral import EEG_FEATURES, EMG_FEATURES, rescaled_by_mixture

    by_class = dict(enumerate(shares))
    return [replace(s, eeg=rescaled_by_mixture(np.asarray(s.eeg), s.labels, by_class, n_scaled=EEG_FEATURES),
                    emg=None if s.emg is None else
                    rescaled_by_mixture(np.asarray(s.emg), s.labels, by_class, n_scaled=EMG_FEATURES))
            for s in subjects]


def composition_copies(subjects: list, copies: int, seed: int, state_mix: bool = False) -> list:
    """Each training animal again, scaled by the statistics of random 15-50 % crops (mostly
    Wake or mostly sleep), so labels do not depend on how much of a file is which state.
    `state_mix`: the statistics come from a random mix of the labelled states instead
    (model.spectral.rescaled_by_state_mix), reaching files that are all one state."""
    from sleepscorer_model.data import SubjectData
    from sleepscorer_model.spectral import EEG_FEATURES, EMG_FEATURES

    rng = np.random.default_rng(seed + 17)
    out = []
    for s in subjects:
        for k in range(copies):
            crop_seed = int(rng.integers(2**31))  # the same crop for EEG and EMG
            out.append(SubjectData(f"{s.subject}-crop{k}",
                                   _rescaled_copy(s.eeg, s.labels, crop_seed, EEG_FEATURES, state_mix),
                                   _rescaled_copy(s.emg, s.labels, crop_seed, EMG_FEATURES, state_mix),
                                   s.labels))
    return out


def _rescaled_copy(f: np.ndarray, labels: np.ndarray, crop_seed: int, n_scaled: int,
                   state_mix: bool) -> np.ndarray:
    from sleepscorer_model.spectral import rescaled_by_crop, rescaled_by_state_mix

    rng = np.random.default_rng(crop_seed)
    if state_mix:
        return rescaled_by_state_mix(np.asarray(f), np.asarray(labels), rng, n_scaled=n_scaled)
    return rescaled_by_crop(np.asarray(f), rng, n_scaled=n_scaled)


def renamed(subject, prefix: str):  # noqa: ANN001, ANN201 - SubjectData
    from dataclasses import replace

    return replace(subject, subject=prefix + subject.subject)


def simulated_recordings(folder: Path, cache: Path) -> list:
    """Every `*.edf` in `folder` with its 1-s label CSV, through today's front end (cached)."""
    from sleepscorer_model.corpus import cached_subject
    from sleepscorer_model.data import prepare_subject

    from sleepscorer.io import load_recording
    from sleepscorer.io.labels import read_labels

    store = cache / f"extra-{folder.name}"
    store.mkdir(parents=True, exist_ok=True)

    def prepared(edf: Path):  # noqa: ANN202 - SubjectData
        rec = load_recording(edf)
        data = prepare_subject(rec, read_labels(edf.with_suffix(".csv"), rec.n_epochs(1.0)),
                               subject=edf.stem, cfg=PREPROCESS)
        print(f"prepared {edf.name}", flush=True)
        return data
    return [cached_subject(store, edf.stem, f"extra-{edf.stem}", lambda edf=edf: prepared(edf))
            for edf in sorted(folder.glob("*.edf"))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--arch", default="sdreamer-seq")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "weights" / "sdreamer-seq.safetensors")
    parser.add_argument("--cache", type=Path, default=ROOT / "work-data" / "corpus")
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--steps-per-epoch", type=int, default=400)
    parser.add_argument("--alpha", type=float, default=0.33)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--cosine", action="store_true", help="cosine learning-rate decay")
    parser.add_argument("--gain-jitter-eeg", type=float, default=0.1)
    parser.add_argument("--feature-shift", type=float, default=0.3)
    parser.add_argument("--gain-jitter-emg", type=float, default=0.0)
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--spectral-tilt", type=float, default=0.3,
                        help="sd of a random tilt of the EEG shape features per window")
    parser.add_argument("--frequency-stretch", type=float, default=0.0,
                        help="sd (log) of a random per-window stretch of the EEG frequency axis")
    parser.add_argument("--shape-dropout", type=float, default=0.0,
                        help="probability of zeroing a window's shape features (then scored twice)")
    parser.add_argument("--emg-step", type=float, default=0.5,
                        help="sd of a random EMG level step inside half of the windows")
    parser.add_argument("--crop-copies", type=int, default=2,
                        help="copies of each training animal scaled by random crops' statistics")
    parser.add_argument("--epoch-noise", type=float, default=0.0,
                        help="most per-epoch noise (scaled units) added to a window: weaker contrasts")
    parser.add_argument("--emg-noise", type=float, default=0.0,
                        help="most slow noise (scaled units) added to a window's EMG levels: a "
                             "weaker, wandering Wake/sleep tone contrast")
    parser.add_argument("--eeg-shape-off", action="store_true",
                        help="train with the EEG shape features always zero, the EMG's kept (an "
                             "experiment: scoring does not zero them, so such weights are not shippable)")
    parser.add_argument("--state-mix", action="store_true",
                        help="composition copies scaled by a random mix of states, not a crop")
    parser.add_argument("--mixture-shares", type=float, nargs=3, default=None,
                        help="Wake NREM REM shares: train on animals mixture-scaled by their labels "
                             "(the crop copies keep their crop statistics) and record it in the card")
    parser.add_argument("--rem-wake-eeg", type=float, default=0.0,
                        help="probability per window that its REM epochs carry Wake epochs' EEG")
    parser.add_argument("--ffn", type=int, default=128)
    parser.add_argument("--eeg-patch", type=int, default=16)
    parser.add_argument("--corpus-version", type=int, nargs="+", default=[CORPUS_VERSION],
                        help="train on the cached corpora of these simulator versions (default: today's)")
    parser.add_argument("--extra-recordings", type=Path, default=None,
                        help="also train on the simulated EDF + label CSV pairs in this folder "
                             "(e.g. `sleepscorer simulate` of an earlier simulator, run from its git commit)")
    parser.add_argument("--teachers", type=Path, nargs="*", default=[],
                        help="distil from these networks (their mean) as well as the labels")
    parser.add_argument("--teacher-weight", type=float, default=0.5)
    parser.add_argument("--consistency", type=float, default=0.0,
                        help="weight of a KL between outputs under two slightly different scalings "
                             "(model.objectives.scale_consistency)")
    parser.add_argument("--consistency-sd", type=float, default=0.1)
    parser.add_argument("--keep-epochs", action="store_true",
                        help="also keep every epoch's weights (for weight averaging)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from the last checkpoint (work-data/checkpoints/) if there is one")
    parser.add_argument("--init", type=Path, default=None,
                        help="start from these weights (e.g. a checkpoint of an earlier run)")
    args = parser.parse_args()
    if args.teachers and args.consistency > 0:  # one loss each: the second would be ignored
        parser.error("--teachers and --consistency cannot be combined")
    torch.set_num_threads(args.threads)

    spec = CorpusSpec()
    corpora = {v: load_corpus(spec, args.cache, MSSV, version=v) for v in args.corpus_version}
    train_set = [renamed(s, f"v{v}-") for v, c in corpora.items() for s in c["train"]]
    val = [renamed(s, f"v{v}-") for v, c in corpora.items() for s in c["val"]]
    if args.extra_recordings is not None:
        train_set += simulated_recordings(args.extra_recordings, args.cache)
    copies = composition_copies(train_set, args.crop_copies, args.seed, args.state_mix)
    if args.mixture_shares:
        train_set = mixture_scaled(train_set, args.mixture_shares)
    train_set = train_set + copies
    cfg = TrainConfig(epochs=args.epochs, max_steps_per_epoch=args.steps_per_epoch, patience=4,
                      alpha=args.alpha, seed=args.seed, class_weights=shipped_class_weights(train_set),
                      gain_jitter_eeg=args.gain_jitter_eeg, gain_jitter_emg=args.gain_jitter_emg,
                      lr=args.lr, cosine=args.cosine, feature_shift=args.feature_shift,
                      spectral_tilt=args.spectral_tilt, emg_step=args.emg_step,
                      shape_from=EEG_FEATURES if PREPROCESS.shape_features else None,
                      emg_shape_from=EMG_FEATURES if PREPROCESS.shape_features else None,
                      shape_dropout=args.shape_dropout, frequency_stretch=args.frequency_stretch,
                      eeg_shape_off=args.eeg_shape_off, epoch_noise=args.epoch_noise,
                      emg_noise=args.emg_noise,
                      rem_wake_eeg=args.rem_wake_eeg)
    checkpoint = ROOT / "work-data" / "checkpoints" / f"{args.out.stem}-last.safetensors"
    torch.manual_seed(args.seed)
    model = build_model(args.arch, **spectral_config(args))
    if args.resume and checkpoint.exists() and args.init is None:
        args.init = checkpoint
    if args.init is not None:
        from sleepscorer_model.weights import load_model

        model.load_state_dict(load_model(args.init).module.state_dict())
    started = time.perf_counter()

    def progress(info: dict) -> None:
        if info.get("stage") == "epoch_end":
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v)
                              for k, v in info.items()}), flush=True)
            save_model(model, checkpoint, arch=args.arch, name=f"{args.arch} checkpoint",
                       preprocessing=card_preprocessing(args))
            if args.keep_epochs:
                save_model(model, checkpoint.with_name(f"{args.out.stem}-e{info['epoch']}.safetensors"),
                           arch=args.arch, name=f"{args.arch} epoch {info['epoch']}",
                           preprocessing=card_preprocessing(args))
        elif info.get("step", 0) % 50 == 0:
            print(f"epoch {info['epoch']} step {info['step']}/{info['steps']} "
                  f"loss {info['loss']:.3f} eta {info['eta_s'] / 60:.1f} min", flush=True)

    loss = None
    if args.teachers:
        from sleepscorer_model.objectives import ensemble_distillation
        from sleepscorer_model.weights import load_model

        loss = ensemble_distillation(cfg, [load_model(t).module for t in args.teachers], args.teacher_weight)
    elif args.consistency > 0:
        from sleepscorer_model.objectives import scale_consistency

        loss = scale_consistency(cfg, args.consistency, args.consistency_sd)
    result = train(model, train_set, val, cfg, progress, loss_fn=loss)
    minutes = (time.perf_counter() - started) / 60
    corpus_names = " + ".join(f"v{v}" for v in corpora)
    card = save_model(
        result.model, args.out, arch=args.arch, name=f"{args.arch} spectral (simulated corpus {corpus_names})",
        preprocessing=card_preprocessing(args),
        training_data={"statement": DATA_STATEMENT, "corpus": spec.to_dict(),
                       "splits": (summary(next(iter(corpora.values()))) if len(corpora) == 1
                                  else {f"v{v}": summary(c) for v, c in corpora.items()}),
                       "extra_recordings": (sorted(p.name for p in args.extra_recordings.glob("*.edf"))
                                            if args.extra_recordings else None),
                       "train_minutes_cpu": round(minutes, 1),
                       "initialised_from": str(args.init) if args.init else None,
                       "teachers": [t.name for t in args.teachers], "teacher_weight": args.teacher_weight,
                       "consistency": ({"weight": args.consistency, "sd": args.consistency_sd}
                                       if args.consistency > 0 else None),
                       "history_note": None,
                       "train_config": cfg.to_dict()},
        metrics={"validation_simulated": {k: v for k, v in result.best.items() if k != "confusion"}})
    print(f"saved {args.out} ({minutes:.1f} min); best epoch {result.best_epoch}: {result.best}")
    print(json.dumps(card["metrics"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
