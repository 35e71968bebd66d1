"""Open Ephys legacy `.continuous` files (format 0.4): one file per channel in a folder.

Each file is a 1024-byte text header (`header.sampleRate = 1000;` ...) and then records of
int64 timestamp, uint16 sample count, uint16 recording number, 1024 big-endian int16
samples and a 10-byte marker. Samples are scaled by `bitVolts`. Must not validate.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import numpy as np

from sleepscorer.errors import RecordingError
from sleepscorer.io.assemble import RawChannel
from sleepscorer.io.recording import kind_from_name

HEADER_BYTES = 1024
SAMPLES_PER_RECORD = 1024
RECORD = np.dtype([("timestamp", "<i8"), ("n", "<u2"), ("recording", "<u2"),
                   ("samples", ">i2", SAMPLES_PER_RECORD), ("marker", "u1", 10)])
_LINE = re.compile(r"header\.(\w+)\s*=\s*'?([^';]*)'?;")


def parse_header(path: Path, raw: bytes) -> dict[str, str]:
    if not raw:
        raise RecordingError(path, "the file is empty (0 bytes); copy the recording again")
    if len(raw) < HEADER_BYTES:
        raise RecordingError(path, "truncated Open Ephys header; the file is incomplete")
    fields = dict(_LINE.findall(raw.decode("latin-1")))
    if "sampleRate" not in fields or "bitVolts" not in fields:
        raise RecordingError(path, "not an Open Ephys .continuous file (no sampleRate/bitVolts "
                                   "in the header); check the file")
    return fields


def read_continuous(path: Path) -> RawChannel:
    """One channel; the name comes from the file name (EEG.continuous -> EEG)."""
    with open(path, "rb") as f:
        fields = parse_header(path, f.read(HEADER_BYTES))
        try:
            rate, bit_volts = float(fields["sampleRate"]), float(fields["bitVolts"])
        except ValueError as exc:
            raise RecordingError(path, f"corrupt Open Ephys header ({exc}); check the file") from exc
        records = np.fromfile(f, dtype=RECORD)
    if not np.isfinite(rate) or rate <= 0 or not np.isfinite(bit_volts):
        raise RecordingError(path, f"corrupt Open Ephys header (sampleRate {rate:g}, bitVolts "
                                   f"{bit_volts:g}); check the file")
    if len(records) and ((records["n"] > SAMPLES_PER_RECORD).any()):
        raise RecordingError(path, "corrupt Open Ephys data: a record claims more than "
                                   f"{SAMPLES_PER_RECORD} samples; the file is damaged")
    counts = records["n"].astype(np.int64)
    samples = records["samples"]
    if len(records) and (counts == SAMPLES_PER_RECORD).all():
        data = samples.astype(np.float32).reshape(-1)
    else:  # a short last record: keep only its valid samples
        data = np.concatenate([s[:n] for s, n in zip(samples, counts, strict=True)]
                              ).astype(np.float32) if len(records) else np.empty(0, np.float32)
    data *= np.float32(bit_volts)
    name = path.stem
    # headstage channels (CH*) are in microvolts, ADC/AUX inputs in volts
    unit = "uV" if fields.get("channel", "CH").strip().upper().startswith("CH") else "V"
    return RawChannel(name, kind_from_name(name), data, rate, unit)


def _created(path: Path) -> datetime | None:
    with open(path, "rb") as f:
        text = parse_header(path, f.read(HEADER_BYTES)).get("date_created", "")
    try:
        return datetime.strptime(text.strip(), "%d-%b-%Y %H%M%S")
    except ValueError:
        return None


def read_openephys(path: Path) -> tuple[list[RawChannel], datetime | None, list[str]]:
    """All `.continuous` files of a folder (or of the folder holding the given file)."""
    folder = path if path.is_dir() else path.parent
    files = sorted(folder.glob("*.continuous"))
    if not files:
        raise RecordingError(path, "no .continuous files in this folder; choose the Open Ephys "
                                   "recording folder")
    for p in files:
        if not p.is_file():
            raise RecordingError(p, "is not a regular file (a FIFO, device or broken link); "
                                    "copy the recording to ordinary files first")
    channels = [read_continuous(p) for p in files]
    short = [p.name for p in files if _cut_short(p)]
    notes = [] if not short else [
        f"{', '.join(short)} end{'s' if len(short) == 1 else ''} part-way through a data record: "
        "cut short (an incomplete copy?); only whole records are read, and anything recorded "
        "after them is missing"]
    return channels, _created(files[0]), notes


def _cut_short(path: Path) -> bool:
    """Whether the file stops part-way through a record, as a copy cut short does: what came
    after its last whole record is unknown (a 1-MB head of the 29-min demo scored 8 min
    without a word)."""
    size = path.stat().st_size
    return size > HEADER_BYTES and (size - HEADER_BYTES) % RECORD.itemsize != 0
