"""Score one recording to our label CSV, with a live progress line on a terminal.

Reading is `sleepscorer.io`, scoring is `model.inference.score`, writing is
`write_labels_csv`; `sleepscorer score`, its batches and other commands all go through
`score_file`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

OUTPUT_SUFFIX = "_scored.csv"


def score_file(path: Path, out: Path, model=None, options=None,  # noqa: ANN001
               progress: Callable[[int, int], None] | None = None,
               cancel: Callable[[], bool] | None = None,
               roles: dict | None = None, rate: float | None = None,
               calibration: Path | None = None, roles_if_named: bool = False,
               calibration_epoch_length: float | None = None):  # noqa: ANN201
    """Read one recording, score it, write `out` (our CSV). Returns the ScoreResult.

    `model` is None (bundled), a path, or a `model.weights.LoadedModel` (load once, reuse).
    `options`: a `model.options.ScoringOptions` (None: the defaults).
    `roles` overrides channel kinds by name; with `roles_if_named` (a batch) only in a file
    that has one of those names, so unnamed EDFs and files with named channels can be scored
    in one run. `rate` is for CSV/Parquet tables. `calibration`
    is a label file of this recording whose epochs choose its scaling, read at
    `calibration_epoch_length` when it does not record its own. The output is checked
    before anything is read (never an input, a device or a folder); the recording's own
    warnings come first in the result's `warnings`. Beside `out`, a record names the model
    that wrote it (io.provenance: the CSV itself names none).
    """
    from sleepscorer_model.inference import score, to_hypnogram
    from sleepscorer_model.options import ScoringOptions

    from sleepscorer.io import check_roles, load_recording
    from sleepscorer.io.assemble import without_flat_notes
    from sleepscorer.io.labels import write_labels_csv
    from sleepscorer.io.outputs import check_label_output, check_output_file
    from sleepscorer.io.provenance import check_record_output

    inputs = [path, *([model] if isinstance(model, (str, Path)) else []),
              *([calibration] if calibration else [])]
    check_output_file(out, inputs)
    check_label_output(out)
    check_record_output(out, inputs)
    recording = load_recording(path, rate=rate, roles=None if roles_if_named else roles or None)
    if roles_if_named and roles:
        names = [c.name for c in recording.channels]
        if set(names) & set(roles):
            check_roles(path, names, roles)
            recording = recording.with_roles(roles)
        else:
            recording.warnings.append(f"no channel named {' or '.join(map(repr, roles))}: scored "
                                      "by its own channel names")
    person = None
    if calibration is not None:
        from sleepscorer.io.labels import read_labels_of_recording

        person = read_labels_of_recording(calibration, recording.duration_s,
                                          calibration_epoch_length, "--calibrate-epoch-length")
    if recording.eeg is None and recording.emg is None:
        from sleepscorer.errors import RecordingError

        names = ", ".join(c.name for c in recording.channels)
        raise RecordingError(path, f"no channel is known to be EEG or EMG (channels: {names}); "
                                   "name them with --eeg CHANNEL and --emg CHANNEL")
    options = options or ScoringOptions()
    result = score(recording, model, progress=progress, cancel=cancel, calibration=person,
                   **options.score_keywords())
    file_notes = without_flat_notes(recording.warnings, result.flat_channels)
    result.warnings = [*file_notes, *(w for w in result.warnings if w not in file_notes)]
    if calibration is not None and not any(w.startswith("scaled by your") for w in result.warnings):
        result.warnings.append(f"{calibration.name}: its person-set labels are too few to scale by "
                               "(2 min covering two states, 30 s each, are needed); scaled by the "
                               "model's own first reading")
    check_output_file(out, inputs)  # still safe after the long work
    check_record_output(out, inputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    from sleepscorer_model.quality import note_column

    write_labels_csv(to_hypnogram(result), out, notes=partial(note_column, result.signal),
                     record=_record_fields(path, model, result, options))
    return result


def _record_fields(path: Path, model, result, options) -> dict:  # noqa: ANN001
    """What the scoring record says of this run: recording, model (name, file, weights hash)
    and the choices made."""
    from dataclasses import asdict

    from sleepscorer_model.weights import LoadedModel

    loaded = model if isinstance(model, LoadedModel) else None
    model_file = loaded.path if loaded else model
    return {"recording": str(Path(path).absolute()), "model": result.model_name,
            "model_file": str(Path(model_file).absolute()) if model_file else None,
            "weights_sha256": loaded.card.get("weights_sha256") if loaded else None,
            # releases that read the same tensors another way differ only here (model card)
            "reading": loaded.card.get("preprocessing") if loaded else None,
            "modality": result.modality, "epoch_length_s": result.epoch_length,
            "device": result.device_used, "options": asdict(options)}


def wrote_line(out: Path, replacing: bool) -> str:
    """'wrote OUT', and that it replaced an earlier output of the same command (score, stats
    and compare --out say it alike)."""
    return f"wrote {out}{', replacing the earlier output there' if replacing else ''}"


def live(text: str) -> None:
    """Redraw the progress line in place on a terminal. In a log or a pipe (not a terminal)
    print nothing, so the log keeps whole lines instead of carriage-return smears."""
    if sys.stderr.isatty():
        print("\r" + text, end="", file=sys.stderr, flush=True)


def end_live() -> None:
    if sys.stderr.isatty():
        print(file=sys.stderr)


def whole_line(text: str, width: int = 72) -> None:
    """A line that stays: over the live line on a terminal (padded to `width` to hide what
    it was), plain in a log or a pipe."""
    if sys.stderr.isatty():
        live(text.ljust(width))
        end_live()
    else:
        print(text, file=sys.stderr)


def progress_line(name: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        live(f"scoring {name}: {100 * done // max(total, 1):3d}%")
    return show
