"""`sleepscorer export-corrections` and `sleepscorer finetune`: adapt the model to one lab.

A thin shell over `model.corrections` and `model.finetune`. Exit status: 0 when a model
was written, 1 when fine-tuning did not beat the base model (nothing written), 2 on bad
input (one `error:` line), 130 when interrupted (nothing written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sleepscorer.cli.arguments import named_path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export-corrections", help="save a recording's person-set labels for fine-tuning",
        description="Append the epochs a person labelled (rows with source expert or imported "
                    "in our CSV; every label of other formats) and the signal around them to "
                    "the corrections folder DIR. Model-only labels are never used; a "
                    "recording exported to DIR before is replaced, not added twice.")
    p.add_argument("recording", type=named_path, metavar="RECORDING",
                   help="the recording the labels belong to (EDF/BDF, .mat, Open Ephys folder)")
    p.add_argument("labels", type=named_path, metavar="LABELS",
                   help="its labels: our CSV (as corrected in the app), AccuSleep CSV or .mat, "
                        "or BIDS events.tsv")
    p.add_argument("--out", required=True, type=named_path, metavar="DIR",
                   help="corrections folder")
    p.add_argument("--base", type=named_path, default=None, metavar="MODEL",
                   help="model the corrections are for (default: the bundled model)")
    p.add_argument("--file-epoch-length", "--epoch-length", dest="epoch_length", type=float,
                   default=None, metavar="S",
                   help="epoch length in s of label files that do not record it (AccuSleep "
                        "CSV or .mat; default 1)")
    p.add_argument("--renamed-recording", action="store_true",
                   help="export although the labels' scoring record names another recording "
                        "file (the recording was renamed or moved since it was scored)")
    p.set_defaults(func=run_export)

    f = subparsers.add_parser(
        "finetune", help="fine-tune the model on corrections folders",
        description="Fine-tune a model on corrections folders and write OUT.safetensors with "
                    "its card. The new model is kept only if it beats the base model on a "
                    "held-out part of the corrections; the base file is never changed.")
    f.add_argument("corrections", nargs="+", type=named_path, metavar="CORRECTIONS",
                   help="corrections folders written by export-corrections (or the app's "
                        "Model > Export corrections)")
    f.add_argument("--base", type=named_path, default=None, metavar="MODEL",
                   help="model to start from (default: the bundled model)")
    f.add_argument("--out", required=True, type=named_path, metavar="MODEL",
                   help="file to write (.safetensors); models in the user models folder "
                        "(<user data dir>/SleepScorer/models) are offered in the app")
    f.add_argument("--epochs", type=int, default=None, help="passes over the corrections at "
                                                            "most (default 3)")
    f.add_argument("--freeze-encoder", action=argparse.BooleanOptionalAction, default=False,
                   help="keep the per-epoch encoder fixed: only the sequence model and heads "
                        "learn (default: everything learns)")
    f.add_argument("--lab-gate", action=argparse.BooleanOptionalAction, default=None,
                   help="score only recordings that look like the corrected ones with the new "
                        "model and send others to the base model (default: when the new "
                        "network alone would lose accuracy on a training lab)")
    f.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    f.set_defaults(func=run_finetune)


def _base(path: Path | None):  # noqa: ANN202
    from sleepscorer_model.weights import load_model, resolve_model

    return resolve_model(None) if path is None else load_model(path)


def run_export(args: argparse.Namespace) -> int:
    from sleepscorer_model.corrections import export_corrections, left_out_text

    from sleepscorer.cli.score import check_epoch_length
    from sleepscorer.io import load_recording
    from sleepscorer.io.labels import read_labels
    from sleepscorer.io.outputs import check_output_folder
    from sleepscorer.stages import BASE_EPOCH, display_name

    if args.epoch_length is not None:
        check_epoch_length(args.epoch_length)
    check_output_folder(args.out, [args.recording, args.labels], "--out is the corrections folder")
    _check_labels_are_of(args.labels, args.recording, args.renamed_recording)
    base = _base(args.base)
    rec = load_recording(args.recording)
    # --epoch-length is that of a file that records none; one that records its own keeps it
    hyp = read_labels(args.labels, n_epochs=rec.n_epochs(BASE_EPOCH), epoch_length=BASE_EPOCH,
                      file_epoch_length=args.epoch_length)
    for note in getattr(hyp, "warnings", []):
        named = note if note.startswith(str(args.labels)) else f"{args.labels}: {note}"
        print(f"warning: {named}", file=sys.stderr)
    entry = export_corrections(rec, hyp, args.out, base.card)
    counts = ", ".join(f"{display_name(c)} {n}" for c, n in entry["label_counts"].items())
    verb = "replaced" if entry.get("replaced") else "added"
    print(f"{args.out}: {verb} {args.recording.name}: {entry['labelled_epochs']} labelled "
          f"epochs ({counts}) in {len(entry['runs'])} run(s)")
    if note := left_out_text(entry, base.card["classes"]):
        print(f"note: {note}")
    return 0


def _check_labels_are_of(labels: Path, recording: Path, renamed: bool) -> None:
    """Refuses labels whose scoring record (written beside them by `score` or the app's
    export) names another recording file. Why: a trial exported one animal's corrected labels
    against another animal of the same length without a word, and a fine-tune would have
    learnt the first animal's states from the second one's signal."""
    from sleepscorer.errors import SleepScorerError
    from sleepscorer.io.provenance import read_record, record_path

    named = (read_record(record_path(labels)) or {}).get("recording")
    if not named or renamed:
        return
    named_path = Path(named)
    try:
        same = named_path.exists() and recording.exists() and named_path.samefile(recording)
    except OSError:
        same = False
    if same or (not named_path.exists() and named_path.name == recording.name):
        return  # the same file, or the same name after a move
    raise SleepScorerError(labels, f"its scoring record ({record_path(labels).name}) says these "
                                   f"labels are of {named}, not of {recording}; give that "
                                   "recording, or add --renamed-recording if the recording "
                                   "was renamed or moved since")


def _show(info: dict) -> None:
    """Progress on stderr: on a terminal a live line per step; in a log (not a terminal)
    whole lines only, one per pass (a log got every step on one line)."""
    from sleepscorer.cli.scoring import live, whole_line

    eta = info.get("eta_s")
    eta_text = "" if eta is None else f" ETA {int(eta) // 60}m{int(eta) % 60:02d}s"
    if info["stage"] == "evaluate":
        print("scoring the validation part with the base model...", file=sys.stderr)
    elif info["stage"] == "replay":
        print("simulating training-lab signal (replay against forgetting)...", file=sys.stderr)
    elif info["stage"] == "lab gate":
        print("fingerprinting the training labs (the lab gate)...", file=sys.stderr)
    elif info["stage"] == "forgetting check":
        print("checking on fresh training-lab animals that nothing is forgotten...",
              file=sys.stderr)
    elif info["stage"] == "train":
        live(f"pass {info['epoch']}/{info['epochs']} step {info['step']}/{info['steps']} "
             f"loss {info['loss']:.4f}{eta_text}   ")
    elif info["stage"] == "epoch_end":
        f1 = info.get("val_macro_f1")
        extra = f", validation macro-F1 {f1:.3f}" if f1 is not None else ""
        whole_line(f"pass {info['epoch']}: loss {info['loss']:.4f}{extra}{eta_text}")


def table(before: dict, after: dict, classes: list[str]) -> str:
    """A class with no held-out epochs has no F1 for either model: shown as n/a, not 0."""
    from sleepscorer_model.metrics import reference_counts

    from sleepscorer.stages import display_name

    rows = [("accuracy", "accuracy"), ("macro-F1", "macro_f1"), ("kappa", "kappa")]
    lines = [f"{'validation':<12}{'base':>8}{'fine-tuned':>12}{'change':>9}"]
    for label, key in rows:
        b, a = before.get(key, float("nan")), after.get(key, float("nan"))
        lines.append(f"{label:<12}{b:>8.3f}{a:>12.3f}{a - b:>+9.3f}")
    held = reference_counts(before) or [1] * len(classes)
    for i, c in enumerate(classes):
        name = "F1 " + display_name(c)
        if held[i] == 0:
            lines.append(f"{name:<12}{'n/a':>8}{'n/a':>12}   (none in the held-out corrections)")
            continue
        b, a = before["f1_per_class"][i], after["f1_per_class"][i]
        lines.append(f"{name:<12}{b:>8.3f}{a:>12.3f}{a - b:>+9.3f}")
    missing = [display_name(c) for c, n in zip(classes, held, strict=False) if n == 0]
    if missing:
        kept = [display_name(c) for c, n in zip(classes, held, strict=False) if n > 0]
        lines.append(f"(macro-F1 over {', '.join(kept)} for both models; no "
                     f"{', '.join(missing)} held out)")
    return "\n".join(lines)


def _check_model_out(args: argparse.Namespace) -> Path:
    """OUT.safetensors and its card OUT.json: safe to write (sleepscorer.io.outputs); the
    base, the bundled model when none is named, is an input."""
    from sleepscorer_model.weights import card_path, default_weights_path

    from sleepscorer.io.outputs import check_model_output

    base = args.base or default_weights_path()
    inputs = [*args.corrections, base, card_path(base)]
    return check_model_output(args.out, inputs)


def run_finetune(args: argparse.Namespace) -> int:
    from sleepscorer_model.corrections import load_corrections
    from sleepscorer_model.finetune import FinetuneConfig, finetune, save_finetuned

    # checked before any training: never an input, a device or a folder, and writable
    _check_model_out(args)
    base = _base(args.base)
    data = load_corrections(args.corrections, base.card)
    cfg = FinetuneConfig(device=args.device, freeze_encoder=args.freeze_encoder,
                         lab_gate=args.lab_gate)
    if args.epochs is not None:
        if args.epochs < 1:
            from sleepscorer.errors import SleepScorerError

            raise SleepScorerError(None, "--epochs must be at least 1")
        cfg.epochs = args.epochs
    try:
        result = finetune(base, data, cfg, progress=_show)
    except KeyboardInterrupt:  # Ctrl+C: the live line ends, and what is left is said
        from sleepscorer.cli.scoring import end_live

        end_live()
        print(f"interrupted: fine-tuning stopped; nothing was written to {args.out}",
              file=sys.stderr)
        return 130
    s = result.card["training_data"]
    print(f"corrections: {s['labelled_epochs']} labelled epochs ({s['minutes']:g} min) from "
          f"{len(s['recordings'])} recording(s); fine-tuned in {result.seconds:.0f} s")
    for note in getattr(result, "warnings", []):
        print(f"warning: {note}", file=sys.stderr)
    if result.metrics_before and result.metrics_after:
        print(table(result.metrics_before, result.metrics_after, list(base.card["classes"])))
    if not result.accepted:
        print(f"not saved: {result.reason}", file=sys.stderr)
        return 1
    out = _check_model_out(args)
    save_finetuned(result, out)
    print(f"wrote {out} and its card {out.with_suffix('.json').name} ({result.reason})")
    if result.card.get("lab_gate"):
        print(f"lab gate: recordings that look more like the training labs than like these "
              f"{len(s['recordings'])} recording(s) are scored by {base.name!r} instead")
    else:
        print("no lab gate: the new model is used on every recording")
    return 0
