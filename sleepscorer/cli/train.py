"""`sleepscorer train`: train a model from recordings and their labels, save weights + card.

A thin shell over `model.data` and `model.training`. Multi-GPU: launch the same command
with `torchrun --nproc_per_node N -m sleepscorer train ...`; only rank 0 writes the file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sleepscorer.cli.arguments import named_path, number
from sleepscorer.cli.scoring import live, whole_line
from sleepscorer.errors import SleepScorerError

LABEL_SUFFIXES = ("_labels.csv", ".labels.csv", "_labels.tsv", "_events.tsv", ".csv")  # last: simulate's
TRAINED_FORMATS = ("edf", "mat")  # io.discover.recording_format: by content, whatever the name

PAIRS_HELP = f"""\
training data, each either
  REC=LABELS   a recording and its label file, e.g. mouse1.edf=mouse1.csv
  FOLDER       every recording (EDF/BDF/.mat, by its content, whatever its name) in FOLDER
               whose label file sits beside it as NAME{LABEL_SUFFIXES[0]} (or
               {', '.join(LABEL_SUFFIXES[1:])})
Each recording is one subject; validation subjects are held out whole."""


def _arch(name: str) -> str:
    """Checked when the command runs, so building the parser never imports torch."""
    from sleepscorer_model.weights import ARCHITECTURES

    if name not in ARCHITECTURES:
        raise argparse.ArgumentTypeError(
            f"unknown architecture {name!r}; choose one of {', '.join(sorted(ARCHITECTURES))}")
    return name


def _pair(text: str) -> str:
    """REC=LABELS or FOLDER, no part of it empty (`named_path`'s rule): an empty part
    (`"$REC=$LABELS"` with a variable unset) was read as the current folder."""
    for part in text.split("=", 1):
        named_path(part)
    return text


_at_least_one = number(int, lambda v: v >= 1, "at least 1", "a whole number")
_fraction = number(float, lambda v: 0.0 <= v < 1.0, "at least 0 and below 1", "a number")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train", help="train a scoring model from labelled recordings",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a model on labelled recordings and write OUT.safetensors with its "
                    "model card (OUT.json).\n\n" + PAIRS_HELP)
    p.add_argument("pairs", nargs="+", type=_pair, metavar="REC=LABELS|FOLDER", help="see above")
    p.add_argument("--arch", type=_arch, default="sdreamer-seq", metavar="ARCH",
                   help="network to train (default sdreamer-seq; an unknown name lists "
                        "the known ones)")
    p.add_argument("-o", "--out", required=True, type=named_path, metavar="FILE",
                   help="weights file to write (.safetensors)")
    p.add_argument("--epochs", type=_at_least_one, default=30,
                   help="passes over the data (default 30)")
    p.add_argument("--val-fraction", type=_fraction, default=0.2,
                   help="fraction of subjects held out for validation / early stopping, "
                        "0 to below 1 (default 0.2; with one recording, its last part)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed of the split and the training (default 0)")
    p.add_argument("--batch-size", type=_at_least_one, default=16,
                   help="windows of epochs per training step (default 16)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where to train (default auto: CUDA when present, else CPU)")
    p.set_defaults(func=run)


def find_pairs(items: list[str]) -> list[tuple[Path, Path]]:
    from sleepscorer.io.discover import recording_format

    pairs = []
    for item in items:
        if "=" in item:
            rec, labels = item.split("=", 1)
            pairs.append((Path(rec), Path(labels)))
            continue
        folder = Path(item)
        if not folder.is_dir():
            raise SleepScorerError(folder, "expected REC=LABELS or a folder of recordings with "
                                           f"NAME{LABEL_SUFFIXES[0]} label files")
        for rec in sorted(folder.iterdir()):
            if not rec.is_file() or recording_format(rec) not in TRAINED_FORMATS:
                continue
            found = [rec.with_name(rec.stem + s) for s in LABEL_SUFFIXES]
            found = [f for f in found if f.exists()]
            if found:
                pairs.append((rec, found[0]))
        if not pairs:
            raise SleepScorerError(folder, "no recording (.edf, .bdf, .mat) with a label file "
                                           "beside it found; label files are named like the "
                                           "recording: NAME" + ", NAME".join(LABEL_SUFFIXES))
    return pairs


def load_subjects(pairs: list[tuple[Path, Path]], classes, need_emg: bool):  # noqa: ANN001, ANN201
    from sleepscorer_model.data import prepare_subject

    from sleepscorer.io import load_recording
    from sleepscorer.io.labels import read_labels
    from sleepscorer.stages import BASE_EPOCH

    subjects = []
    for rec_path, labels_path in pairs:
        rec = load_recording(rec_path)
        hyp = read_labels(labels_path, n_epochs=rec.n_epochs(BASE_EPOCH),
                      epoch_length=BASE_EPOCH)
        left_out = persons_labels_only(hyp, labels_path)
        subjects.append(prepare_subject(rec, hyp, classes, subject=rec_path.stem,
                                        need_emg=need_emg))
        print(f"loaded {rec_path.name}: {len(subjects[-1])} epochs"
              + (f" ({left_out} set by the model left out)" if left_out else ""),
              file=sys.stderr)
    return subjects


def persons_labels_only(hyp, labels_path: Path) -> int:  # noqa: ANN001
    """Unscore the epochs a model set, in place; how many. A model trained on a model's own
    output learns its errors (a scored CSV given as truth would otherwise train as one)."""
    from sleepscorer.errors import LabelsError
    from sleepscorer.hypnogram import Source
    from sleepscorer.stages import Stage

    model = (hyp.sources == Source.MODEL) & (hyp.stages != Stage.UNSCORED)
    if model.any() and not hyp.is_person_labelled().any():
        raise LabelsError(labels_path, "every label was set by the model (source 'model'); "
                                       "training learns from a person's labels only: correct "
                                       "the file in the app, or give the expert's labels")
    hyp.stages[model] = Stage.UNSCORED
    hyp.sources[model] = Source.NONE
    return int(model.sum())


def _show(info: dict) -> None:
    eta = int(info.get("eta_s", 0))
    if info["stage"] == "epoch_end":
        f1 = info.get("val_macro_f1")
        extra = f", validation macro-F1 {f1:.3f}" if f1 is not None else ""
        whole_line(f"epoch {info['epoch']}: loss {info['loss']:.4f}{extra}")
    else:  # on a terminal one line redrawn; in a log only the epochs' whole lines
        live(f"epoch {info['epoch']}/{info['epochs']} step {info['step']}/{info['steps']} "
             f"loss {info['loss']:.4f} ETA {eta // 60}m{eta % 60:02d}s")


def run(args: argparse.Namespace) -> int:
    from sleepscorer_model.data import split_subjects
    from sleepscorer_model.training import TrainConfig, fit_architecture
    from sleepscorer_model.weights import ARCHITECTURES, save_model

    from sleepscorer.io.outputs import check_model_output
    from sleepscorer.stages import MODEL_CLASSES_3

    pairs = find_pairs(args.pairs)
    # before any training: never an input (a recording or its labels), a device or a folder
    inputs = [p for pair in pairs for p in pair]
    out = check_model_output(args.out, inputs)
    need_emg = "emg" in ARCHITECTURES[args.arch].modalities
    subjects = load_subjects(pairs, MODEL_CLASSES_3, need_emg)
    if len(subjects) >= 2:
        train_ids, val_ids, _ = split_subjects([s.subject for s in subjects], args.val_fraction,
                                               0.0, args.seed)
        train_set = [s for s in subjects if s.subject in train_ids]
        val_set = [s for s in subjects if s.subject in val_ids]
    else:  # one recording: hold out its last part (time-wise) for validation
        s = subjects[0]
        cut = int(len(s) * (1 - args.val_fraction))
        train_set, val_set = [s.slice(0, cut)], ([s.slice(cut, len(s), "-end")] if cut < len(s) else [])
    if not train_set or min(len(s) for s in train_set) < 1:
        raise SleepScorerError(None, f"--val-fraction {args.val_fraction:g} leaves no epoch to "
                                     "train on; hold out less")
    cfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                      device=args.device)
    result = fit_architecture(args.arch, train_set, val_set, cfg, progress=_show)
    if not result.is_main:
        return 0
    summary = {"recordings": [str(r.name) for r, _ in pairs],
               "train_subjects": [s.subject for s in train_set],
               "val_subjects": [s.subject for s in val_set],
               "train_epochs": int(sum(len(s) for s in train_set)),
               "train_config": cfg.to_dict()}
    check_model_output(out, inputs)  # still safe after training
    save_model(result.model, out, args.arch, MODEL_CLASSES_3, training_data=summary,
               metrics={"validation": result.best, "best_epoch": result.best_epoch,
                        "history": result.history})
    f1 = result.best.get("macro_f1")
    score = f" (validation macro-F1 {f1:.3f})" if f1 is not None else ""
    print(f"wrote {out} and its card {out.with_suffix('.json').name}{score}", file=sys.stderr)
    return 0
