"""Corrections datasets: a person's labels plus the signal windows needed to learn from them.

`export_corrections` writes, for one recording, every epoch a person labelled (sources
EXPERT or IMPORTED; model-only epochs never become targets) together with K/2 epochs of
context either side (label -1) so that sequence windows of K epochs work. Signals are stored
preprocessed exactly as the base model expects (float32 .npy per contiguous run, int64
labels), and `manifest.json` describes everything needed to check they still fit a model.
Several recordings can be appended to one folder (exporting one again replaces its earlier
entry, so no epoch counts twice); `load_corrections` reads folders back as
`SubjectData` (one per run) and refuses data preprocessed differently from the base model.
Must not import Qt or torch training code.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sleepscorer_model.data import SubjectData, stages_to_classes
from sleepscorer_model.frontend import make_source
from sleepscorer_model.preprocess import EpochSource, PreprocessConfig
from sleepscorer_model.spectral import SpectralSource

from sleepscorer.errors import LabelsError, ModelError
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.io.atomic import write_text_atomic
from sleepscorer.io.recording import Recording
from sleepscorer.stages import BASE_EPOCH, Stage, stages_from_names

FORMAT = "sleepscorer-corrections/1"
MANIFEST = "manifest.json"


def base_sha256(card: dict) -> str | None:
    """The identity of a model's weights (tensor hash, independent of the card's text)."""
    return card.get("weights_sha256") or card.get("file_sha256")


def person_targets(hypnogram: Hypnogram, classes: Sequence[Stage], n_epochs: int) -> np.ndarray:
    """Class index per 1-s epoch where a person set the label, else -1."""
    hyp = hypnogram if abs(hypnogram.epoch_length - 1.0) < 1e-9 else hypnogram.to_epoch_length(1.0)
    labels = np.full(n_epochs, -1, dtype=np.int64)
    n = min(n_epochs, len(hyp))
    person = hyp.is_person_labelled()[:n]
    labels[:n] = np.where(person, stages_to_classes(hyp.stages[:n], classes), -1)
    return labels


def labelled_runs(labels: np.ndarray, context: int) -> list[tuple[int, int]]:
    """Contiguous [start, stop) spans covering every labelled epoch plus `context` either side."""
    n = len(labels)
    idx = np.flatnonzero(labels >= 0)
    if len(idx) == 0:
        return []
    runs: list[list[int]] = []
    for i in idx:
        a, b = max(0, int(i) - context), min(n, int(i) + context + 1)
        if runs and a <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], b)
        else:
            runs.append([a, b])
    return [(a, b) for a, b in runs]


def left_out(hypnogram: Hypnogram, classes: Sequence[Stage], n_epochs: int) -> dict[str, int]:
    """Person-set 1-s epochs per stage the model does not score (e.g. MA for a Wake/NREM/REM
    model): not exported, and said so (63 MA epochs went missing without a word)."""
    hyp = hypnogram if abs(hypnogram.epoch_length - 1.0) < 1e-9 else hypnogram.to_epoch_length(1.0)
    n = min(n_epochs, len(hyp))
    stages = hyp.stages[:n][hyp.is_person_labelled()[:n]]
    return {Stage(int(s)).label: int(np.count_nonzero(stages == s)) for s in np.unique(stages)
            if Stage(int(s)) not in classes and Stage(int(s)) is not Stage.UNSCORED}


def left_out_text(entry: dict, classes: Sequence[str]) -> str:
    """One line for a person: what an export (a manifest entry, or a whole manifest: its
    recordings summed) left out and why ("" when nothing was)."""
    from sleepscorer.stages import display_name

    dropped: dict[str, int] = {}
    for one in entry.get("recordings", [entry]):
        for stage, n in (one.get("left_out") or {}).items():
            dropped[stage] = dropped.get(stage, 0) + int(n)
    if not dropped:
        return ""
    what = ", ".join(f"{n} {stage}" for stage, n in dropped.items())
    return (f"{what} epoch(s) left out: the model scores "
            f"{'/'.join(display_name(c) for c in classes)} only")


def _atomic_json(path: Path, data: dict) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_manifest(folder: str | Path) -> dict:
    """The manifest of a corrections folder, checked for the fields this version needs."""
    path = Path(folder) / MANIFEST
    if not Path(folder).exists():
        raise LabelsError(folder, "not found; give a corrections folder made with "
                                  "`sleepscorer export-corrections RECORDING LABELS --out DIR`")
    if not path.is_file():
        raise LabelsError(folder, "not a corrections folder (no manifest.json); create one with "
                                  "`sleepscorer export-corrections RECORDING LABELS --out DIR`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LabelsError(path, f"corrections manifest is corrupt ({exc}); export the "
                                "corrections again") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise LabelsError(path, f"unknown corrections format {found!r} (this version reads "
                                f"{FORMAT}); export the corrections again")
    missing = [k for k in ("classes", "preprocessing", "recordings") if k not in manifest]
    if missing:
        raise LabelsError(path, f"corrections manifest lacks {', '.join(missing)}; export the "
                                "corrections again")
    return manifest


def _check_fits(path: Path, manifest: dict, classes: list[str], preprocessing: dict) -> None:
    if manifest["classes"] != classes:
        raise ModelError(path, f"corrections are for classes {', '.join(manifest['classes'])} but "
                               f"the model has {', '.join(classes)}; use a model with the same "
                               "classes or export to a new folder")
    try:
        stored = PreprocessConfig(**manifest["preprocessing"]).array_dict()
    except TypeError as exc:  # a setting this version does not know
        raise ModelError(path, f"corrections were preprocessed with settings this version does not "
                               f"know ({exc}); export them again with this model as --base") from None
    wanted = PreprocessConfig(**preprocessing).array_dict()
    if stored != wanted:
        diff = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
        raise ModelError(path, f"corrections were preprocessed differently from this model "
                               f"({', '.join(diff)} differ); export them again with this model "
                               "as --base")


def export_corrections(recording: Recording, hypnogram: Hypnogram, out_dir: str | Path,
                       base_model_card: dict,
                       preprocessing: PreprocessConfig | dict | None = None) -> dict:
    """Append one recording's person-labelled epochs to the corrections folder `out_dir`.

    The same recording (same signal) exported again replaces its earlier entry and files;
    the returned manifest entry then lists the replaced ids under "replaced".
    `preprocessing` defaults to the base model card's (it must match it: the arrays are
    model input). Raises LabelsError when no epoch carries a person's label. The entry's
    "left_out" counts person-set epochs of stages the model does not score (not exported).
    """
    out = Path(out_dir)
    card = base_model_card
    classes = [str(c) for c in card["classes"]]
    prep = _base_preprocessing(out, card, preprocessing)
    prep_dict = prep.to_dict()
    n = recording.n_epochs(BASE_EPOCH)
    labels = person_targets(hypnogram, stages_from_names(classes), n)
    context = int(card.get("config", {}).get("seq_len", 16)) // 2
    runs = labelled_runs(labels, context)
    if not runs:
        raise LabelsError(recording.source, "no epoch has a label set by a person (expert or "
                                            "imported) in the model's classes; nothing to export")
    out.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(out) if (out / MANIFEST).exists() else {
        "format": FORMAT, "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "classes": classes, "preprocessing": prep_dict, "epoch_length": BASE_EPOCH,
        "base_model": {"name": card.get("name"), "sha256": base_sha256(card)},
        "recordings": []}
    _check_fits(out / MANIFEST, manifest, classes, prep_dict)
    # the front end the base model reads, each file scaled by its own percentiles, as the
    # corpus and the replay animals are; mixture-scaled corrections forgot 3 points more
    # (docs/finetune-benchmark.md)
    source = make_source(recording, prep)
    used = {name: ch for name, ch in (("eeg", recording.eeg), ("emg", recording.emg))
            if name in source.channels}
    signal = signal_sha256(used)
    resolved = str(Path(recording.source).resolve())
    earlier = [r for r in manifest["recordings"] if _same_recording(r, signal, resolved)]
    rec_id = _next_id(manifest["recordings"])
    entry_runs = _save_runs(out, rec_id, runs, labels, source)
    counts = np.bincount(labels[labels >= 0], minlength=len(classes))
    dropped = left_out(hypnogram, stages_from_names(classes), n)
    entry = {
        "id": rec_id, "recording": str(recording.source),
        "source_path": resolved, "signal_sha256": signal,
        "channels": {name: {"name": ch.name, "sampling_rate": ch.rate}
                     for name, ch in used.items()},
        "sampling_rate": recording.rate,  # the EEG's; each channel's is under "channels"
        "epoch_length": BASE_EPOCH, "n_epochs": n,
        "context_epochs": context, "runs": entry_runs,
        "label_counts": dict(zip(classes, counts.tolist(), strict=True)),
        "labelled_epochs": int(counts.sum()), "left_out": dropped,
        "base_model_sha256": base_sha256(card),
        "created": datetime.now(UTC).isoformat(timespec="seconds")}
    if earlier:  # exported before: this export takes its place (and its position)
        entry["replaced"] = [r.get("id") for r in earlier]
    recordings = [r for r in manifest["recordings"] if not any(r is e for e in earlier)]
    at = manifest["recordings"].index(earlier[0]) if earlier else len(recordings)
    manifest["recordings"] = recordings[:at] + [entry] + recordings[at:]
    manifest["label_counts"] = _total_counts(manifest["recordings"], classes)
    _atomic_json(out / MANIFEST, manifest)  # last: a failed export leaves the manifest as it was
    _remove_runs(out, earlier)  # after: a failed export keeps the earlier entry's files
    return entry


def signal_sha256(channels: dict) -> str:
    """Identity of a recording's signal (`channels`: role -> Channel), whatever its path:
    exporting it again replaces its earlier corrections instead of counting them twice."""
    h = hashlib.sha256()
    for role, ch in sorted(channels.items()):
        h.update(f"{role}:{ch.name}:{float(ch.rate)!r}:{len(ch.data)}\n".encode())
        for i in range(0, len(ch.data), 1 << 22):  # chunks: no float copy of a whole day
            h.update(np.ascontiguousarray(ch.data[i:i + (1 << 22)], dtype=np.float32))
    return h.hexdigest()


def _same_recording(entry: dict, signal: str, resolved: str) -> bool:
    """By signal hash; entries written before it was stored match by their source path,
    if that path still exists (a bare name like "synthetic" identifies nothing)."""
    if "signal_sha256" in entry:
        return entry["signal_sha256"] == signal
    path = Path(str(entry.get("recording", "")))
    return path.exists() and str(path.resolve()) == resolved


def _next_id(recordings: list[dict]) -> str:
    """Above every id in use: with replaced entries gone, the count could reuse one."""
    numbers = [int(m.group(1)) for r in recordings
               if (m := re.fullmatch(r"rec(\d+)", str(r.get("id", ""))))]
    return f"rec{max(numbers, default=-1) + 1:03d}"


def _remove_runs(out: Path, entries: list[dict]) -> None:
    """The array files of replaced entries (plain names inside the folder only)."""
    for entry in entries:
        for run in entry.get("runs", []):
            for name in run.get("files", {}).values():
                if Path(str(name)).name == name:
                    (out / name).unlink(missing_ok=True)


def _base_preprocessing(out: Path, card: dict,
                        preprocessing: PreprocessConfig | dict | None) -> PreprocessConfig:
    """The preprocessing to store the arrays with; refused unless it is the base model's,
    since the arrays are model input."""
    prep = preprocessing if preprocessing is not None else card.get("preprocessing", {})
    prep = PreprocessConfig(**prep) if isinstance(prep, dict) else prep
    if prep.array_dict() != PreprocessConfig(**card.get("preprocessing", {})).array_dict():
        raise ModelError(out, "preprocessing differs from the base model's; corrections must be "
                              "preprocessed as the model expects (leave it at the default)")
    return prep


def _save_runs(out: Path, rec_id: str, runs: list[tuple[int, int]], labels: np.ndarray,
               source: EpochSource | SpectralSource) -> list[dict]:
    """One labels .npy and one signal .npy per channel for each run, named after the
    recording's id so appended recordings never overwrite each other; returns the runs'
    manifest entries."""
    entry_runs = []
    for j, (a, b) in enumerate(runs):
        stem = f"{rec_id}-run{j:03d}"
        files = {"labels": f"{stem}-labels.npy"}
        np.save(out / files["labels"], labels[a:b])
        for name in source.channels:
            files[name] = f"{stem}-{name}.npy"
            np.save(out / files[name], source.epochs(name, a, b))
        entry_runs.append({"start": a, "stop": b, "files": files})
    return entry_runs


def _total_counts(recordings: list[dict], classes: list[str]) -> dict[str, int]:
    """Epochs per class over every recording in the folder, recounted from the entries so
    the total stays right however many exports appended to it."""
    total = np.zeros(len(classes), dtype=np.int64)
    for r in recordings:
        total += np.array([r["label_counts"].get(c, 0) for c in classes])
    return dict(zip(classes, total.tolist(), strict=True))


def _load_array(folder: Path, name: str, dtype: type) -> np.ndarray:
    path = folder / name
    try:
        return np.asarray(np.load(path, allow_pickle=False), dtype=dtype)
    except (OSError, ValueError) as exc:
        raise LabelsError(path, f"corrections array is missing or corrupt ({exc}); export the "
                                "corrections again") from exc


def load_corrections(folders: Sequence[str | Path] | str | Path,
                     base_card: dict | None = None) -> list[SubjectData]:
    """Every run of every recording in `folders`, as SubjectData (labels -1 = context).

    With `base_card`, the corrections must have its classes and preprocessing (ModelError).
    """
    if isinstance(folders, (str, Path)):
        folders = [folders]
    subjects = []
    for folder in map(Path, folders):
        manifest = read_manifest(folder)
        if base_card is not None:
            _check_fits(folder / MANIFEST, manifest, [str(c) for c in base_card["classes"]],
                        PreprocessConfig(**base_card.get("preprocessing", {})).to_dict())
        for rec in manifest["recordings"]:
            for j, run in enumerate(rec.get("runs", [])):
                files = run.get("files", {})
                if "labels" not in files or "eeg" not in files:
                    raise LabelsError(folder / MANIFEST, f"run {j} of {rec.get('id')} lists no "
                                                         "EEG or labels file; export again")
                labels = _load_array(folder, files["labels"], np.int64)
                eeg = _load_array(folder, files["eeg"], np.float32)
                emg = _load_array(folder, files["emg"], np.float32) if "emg" in files else None
                if len(eeg) != len(labels) or (emg is not None and len(emg) != len(labels)):
                    raise LabelsError(folder / files["labels"], "signal and label arrays differ "
                                                                "in length; export again")
                name = f"{folder.name}/{rec.get('id')}-run{j:03d}"
                origin = {"id": f"{folder.name}/{rec.get('id')}", "corrections": str(folder.resolve()),
                          **{k: rec.get(k) for k in ORIGIN_KEYS}, "exported": rec.get("created")}
                subjects.append(SubjectData(name, eeg, emg, labels, origin))
    return subjects


# what a fine-tuned model's card says of each corrected recording (`summarise`'s `sources`)
ORIGIN_KEYS = ("recording", "source_path", "signal_sha256", "labelled_epochs", "label_counts")


def summarise(subjects: Sequence[SubjectData], classes: Sequence[str]) -> dict:
    """Epochs per class, labelled minutes and run count: what a fine-tune learned from, and
    `sources`, each corrected recording by its file, signal hash and corrections folder.

    Why: the card named only 'corr/rec001', an id that the next export to that folder
    replaces, so a model could not be traced to the recordings it learned."""
    labels = np.concatenate([s.labels for s in subjects]) if subjects else np.zeros(0, np.int64)
    counts = np.bincount(labels[labels >= 0], minlength=len(classes))
    recordings = sorted({s.subject.rsplit("-run", 1)[0] for s in subjects})
    sources = {s.origin["id"]: s.origin for s in subjects if s.origin}
    return {"recordings": recordings, "sources": [sources[k] for k in sorted(sources)],
            "runs": len(subjects),
            "epochs_per_class": dict(zip(classes, counts.tolist(), strict=True)),
            "labelled_epochs": int(counts.sum()), "minutes": round(float(counts.sum()) / 60, 2)}
