"""Which model wrote a scored label file: a small JSON record beside the CSV
(`NAME_scored.csv` -> `NAME_scored.provenance.json`).

Why: the CSV names no model, so scoring again into the same `-o` with another model left no
trace of which model the file came from. The CSV itself stays as it was (the app, pandas and
Excel read it unchanged); the record holds the CSV's SHA-256, so a reader can tell when the
CSV was since replaced by something else (an export from the app). Must not import Qt.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sleepscorer.errors import SleepScorerError
from sleepscorer.io.existing import RECORD_KIND

if TYPE_CHECKING:
    from sleepscorer.hypnogram import Hypnogram

KIND = RECORD_KIND
SUFFIX = ".provenance.json"


def record_path(labels: str | Path) -> Path:
    """The record beside a label file: mouse1_scored.csv -> mouse1_scored.provenance.json."""
    labels = Path(labels)
    return labels.with_name(labels.stem + SUFFIX)


def check_record_output(labels: str | Path, inputs: list[str | Path]) -> Path:
    """The record's path if it may be written: never an input, and an existing file there
    only when it is such a record (someone's own JSON of that name is left alone)."""
    from sleepscorer.io.outputs import check_output_file

    path = record_path(labels)
    if path.is_file() and path.stat().st_size and read_record(path) is None:  # said first
        raise SleepScorerError(path, "exists and is not a SleepScorer scoring record; it would "
                                     "be replaced by the record of which model scored "
                                     f"{Path(labels).name}, so move it away or choose another -o")
    return check_output_file(path, inputs)


def read_record(path: str | Path) -> dict[str, Any] | None:
    """The record at `path`, or None when it is not one (or cannot be read)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("kind") == KIND else None


def write_record(labels: str | Path, fields: dict[str, Any]) -> Path:
    """Write the record of the label file just written (its name and hash, the time, the
    program's version, then `fields`: recording, model, options...)."""
    from sleepscorer import __version__
    from sleepscorer.io.atomic import write_text_atomic

    labels = Path(labels)
    record = {"kind": KIND, "labels": labels.name,
              "labels_sha256": hashlib.sha256(labels.read_bytes()).hexdigest(),
              "written": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "sleepscorer_version": __version__, **fields}
    path = record_path(labels)
    write_text_atomic(path, json.dumps(record, indent=1) + "\n")
    return path


def app_record(hypnogram: Hypnogram, epoch_length: float, models: list[dict],
               recording: str | Path | None) -> dict[str, Any]:
    """The fields of the app's export record: the recording, the models that scored it (from
    the saved session: name, file hash, when), and who set how many of the CSV's epochs,
    counted at its epoch length (a 4-s export counted 1-s epochs). The session itself keeps
    the full history; this is a copy's record."""
    from sleepscorer.hypnogram import Source

    if abs(epoch_length - hypnogram.epoch_length) > 1e-9:
        hypnogram = hypnogram.to_epoch_length(epoch_length)
    scored = [{"name": m.get("name"), "file_sha256": m.get("sha256"),
               "weights_sha256": m.get("weights_sha256"),  # as `info` and `score` name it
               "scored": datetime.datetime.fromtimestamp(m["time"]).astimezone().isoformat(
                   timespec="seconds") if m.get("time") else None} for m in models]
    return {"written_by": "the SleepScorer app (File > Export labels)",
            "recording": str(Path(recording).absolute()) if recording else None,
            "models": scored, "epoch_length_s": epoch_length,
            "epochs_by_source": {s.label: int((hypnogram.sources == s).sum()) for s in Source}}
