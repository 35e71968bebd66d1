"""The only door from the app to the io and model layers, opened lazily.

Importing torch or the readers costs seconds, so the window appears first and these
functions import on first use (in a worker thread). Tests swap them for stand-ins.
"""

from __future__ import annotations

from pathlib import Path


def load_recording(path: str | Path, rate: float | None = None, roles: dict | None = None):
    from sleepscorer.io import load_recording as load

    return load(path, rate=rate, roles=roles)


def recording_suffixes() -> tuple[str, ...]:
    """File suffixes the readers open, from their own list (Open dialog, drops, help)."""
    from sleepscorer.io import SUPPORTED_RECORDINGS

    return tuple(s for s in SUPPORTED_RECORDINGS if s.startswith("."))


def file_contents(path: str | Path) -> set[str]:
    """What a file holds: {'signals'}, {'labels'} or both, from its variable names or
    header only (cheap; the file is not read whole)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".mat":
        names = _mat_names(path)
        holds = set()
        if names & {"eeg", "data"}:
            holds.add("signals")
        if "sleep_scores" in names:
            holds.add("labels")
        return holds or {"signals"}  # let the reader say what is missing
    if suffix in (".csv", ".tsv", ".txt"):
        try:
            with path.open(encoding="utf-8", errors="replace") as fh:
                header = fh.readline().lower().replace("\t", ",").replace(";", ",")
        except OSError:
            return {"labels"}
        columns = {c.strip().strip('"') for c in header.split(",")}
        holds = set()
        if columns & {"eeg", "emg"}:
            holds.add("signals")
        if columns & {"stage", "brain_state", "sleep_stage", "label", "score"} or not holds:
            holds.add("labels")
        return holds
    return {"signals"}


def _mat_names(path: Path) -> set[str]:
    try:
        from scipy.io import whosmat

        return {name.lower() for name, _, _ in whosmat(str(path))}
    except (NotImplementedError, ValueError, OSError):  # MATLAB v7.3 is HDF5
        try:
            import h5py

            with h5py.File(path, "r") as fh:
                return {name.lower() for name in fh.keys()}
        except (OSError, ImportError):
            return set()


def model_sha256(weights: str | Path | None) -> str | None:
    """sha256 of the model file that scores (None: the bundled one); plain hashlib."""
    import hashlib

    try:
        if weights is None:
            from model.weights import default_weights_path

            weights = default_weights_path()
        h = hashlib.sha256()
        with Path(weights).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except (OSError, ImportError):
        return None


def read_labels(path: str | Path, n_epochs: int | None = None, epoch_length: float = 1.0):
    from sleepscorer.io.labels import read_labels as read

    return read(path, n_epochs=n_epochs, epoch_length=epoch_length)


def write_labels_csv(hyp, path: str | Path, epoch_length: float | None = None):
    from sleepscorer.io.labels import write_labels_csv as write

    return write(hyp, path, epoch_length=epoch_length)


def write_bids_events(hyp, path: str | Path):
    from sleepscorer.io.labels import write_bids_events as write

    return write(hyp, path)


def score(recording, **kwargs):
    """Automatic scoring; raises ModelError when no weights are available."""
    try:
        from model.inference import score as run
    except ImportError as exc:
        from sleepscorer.errors import ModelError

        raise ModelError(None, "automatic scoring is not installed yet (model.inference "
                               f"missing: {exc})") from exc
    return run(recording, **kwargs)


def device_name(requested: str = "auto") -> str:
    """'CUDA' or 'CPU': what scoring will run on (imports torch; call from a worker)."""
    if requested not in ("auto", "cuda"):
        return requested.upper()
    try:
        from model.device import pick_device

        return pick_device("auto").type.upper()
    except ImportError:
        return "CPU"


def list_models() -> list:
    """The bundled model and the user's fine-tuned models (model.finetune.ModelEntry:
    path, card, bundled, name); imports torch, so call from a worker."""
    from model.registry import list_models as models

    return models()


def model_entry(path: str | Path):
    """A ModelEntry for any model file (e.g. a checkpoint chosen by hand); raises ModelError."""
    from model.registry import ModelEntry
    from model.weights import default_weights_path, load_model

    path = Path(path)
    return ModelEntry(path, load_model(path).card, path == default_weights_path())


def export_corrections(recording, hypnogram, out_dir: str | Path, card: dict) -> dict:
    """Append the person-labelled epochs of one recording to a corrections folder."""
    from model.corrections import export_corrections as export

    return export(recording, hypnogram, out_dir, card)


def corrections_dir() -> Path:
    """Where the app keeps corrections it exports for fine-tuning."""
    import platformdirs

    return Path(platformdirs.user_data_dir("SleepScorer", appauthor=False)) / "corrections"
