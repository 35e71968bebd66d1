"""EDF, EDF+ and BDF recordings, read through mne without preloading.

mne parses the header (labels, types, rates, start time, EDF+ annotations) and reads the
data lazily; we copy it in chunks into one float32 array per channel, so a 24 h, 512 Hz
file opens in about a second with about the samples' float32 size in memory (mne's own
preload would hold float64). Values are in microvolts. `write_edf` writes through `edfio`.
Must not validate or resample (see `assemble`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from sleepscorer.errors import RecordingError
from sleepscorer.io.assemble import RawChannel
from sleepscorer.io.atomic import atomic_path
from sleepscorer.io.recording import ChannelKind, Recording, kind_from_name

CHUNK_SAMPLES = 1 << 21  # per channel and read: 2 M samples (16 MB of float64 per channel)
_MNE_KINDS = {"eeg": ChannelKind.EEG, "emg": ChannelKind.EMG}


def _open_raw(path: Path):  # noqa: ANN202
    import mne

    reader = mne.io.read_raw_bdf if path.suffix.lower() == ".bdf" else mne.io.read_raw_edf
    try:
        return reader(path, preload=False, verbose="error")
    except FileNotFoundError as exc:
        raise RecordingError(path, "the file does not exist; check the path") from exc
    except PermissionError as exc:
        raise RecordingError(path, "cannot open the file (permission denied); check its "
                                   "permissions") from exc
    except Exception as exc:  # mne raises ValueError, RuntimeError, IndexError... on bad headers
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RecordingError(path, f"corrupt or truncated EDF/BDF header ({detail}); the file is "
                                   "damaged or not an EDF/BDF; export it again") from None


@dataclass(frozen=True)
class _Layout:
    """The few fixed header fields needed to explain a bad file before mne reads it."""

    header_bytes: int
    n_records: int
    record_s: float
    n_samples: tuple[int, ...]
    sample_bytes: int


def _number(path: Path, raw: bytes, field: str) -> float:
    try:
        return float(raw.decode("latin-1").strip())
    except ValueError:
        raise RecordingError(path, f"corrupt EDF header: field '{field}' is "
                                   f"{raw.decode('latin-1').strip()!r}; the file is damaged; "
                                   "export it again") from None


def _check_layout(path: Path) -> tuple[_Layout, int]:
    """Header sanity and how many whole data records the file really holds."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(256)
        if len(head) < 256 and head[:1] in (b"0", b"\xff"):
            raise RecordingError(path, f"truncated EDF header ({len(head)} of at least 256 "
                                       "bytes); copy the file again")
        if len(head) < 256 or not (head[:8] == b"0       " or head[:8] == b"\xffBIOSEMI"):
            raise RecordingError(path, "not an EDF/BDF file (its first bytes are not an EDF "
                                       "header); check the file type")
        header_bytes = int(_number(path, head[184:192], "number of bytes in header record"))
        n_signals = int(_number(path, head[252:256], "number of signals"))
        if size < header_bytes or header_bytes != 256 * (n_signals + 1):
            raise RecordingError(path, f"truncated EDF header ({min(size, header_bytes)} of "
                                       f"{256 * (n_signals + 1)} bytes); copy the file again")
        n_records = int(_number(path, head[236:244], "number of data records"))
        record_s = _number(path, head[244:252], "duration of a data record")
        f.seek(256 + 216 * n_signals)
        per = f.read(8 * n_signals)
        n_samples = tuple(int(_number(path, per[8 * i: 8 * i + 8], "samples per record"))
                          for i in range(n_signals))
    sample_bytes = 3 if head[:8] != b"0       " else 2
    layout = _Layout(header_bytes, n_records, record_s, n_samples, sample_bytes)
    record_bytes = sum(n_samples) * sample_bytes
    available = (size - header_bytes) // record_bytes if record_bytes > 0 else 0
    return layout, available


def _kind(name: str, mne_type: str) -> ChannelKind:
    """Name first (mne calls every EDF signal 'eeg' unless told), then mne's channel type."""
    by_name = kind_from_name(name)
    if by_name is not ChannelKind.OTHER:
        return by_name
    return ChannelKind.OTHER if mne_type == "eeg" else _MNE_KINDS.get(mne_type, ChannelKind.OTHER)


def read_edf(path: Path) -> tuple[list[RawChannel], datetime | None, list[str]]:
    """Channels (all signals but EDF+ annotations), start time and notes of an EDF/BDF."""
    layout, available = _check_layout(path)
    raw = _open_raw(path)
    notes: list[str] = []
    if 0 <= available < layout.n_records:
        if available == 0:
            raise RecordingError(path, "the file holds no complete data record (truncated "
                                       "copy?); copy or export it again")
        notes.append(f"the file ends after {available} of {layout.n_records} data records "
                     "(an incomplete copy?); reading what is there")
        raw.crop(tmax=available * layout.record_s - 1.0 / raw.info["sfreq"])
    rates = sorted({k / layout.record_s for k in layout.n_samples if k > 1})
    if len(rates) > 1:
        notes.append(f"signals recorded at {', '.join(f'{r:g}' for r in rates)} Hz were "
                     f"resampled to {raw.info['sfreq']:g} Hz")
    n = raw.n_times
    names, types = raw.ch_names, raw.get_channel_types()
    outs = [np.empty(n, dtype=np.float32) for _ in names]
    try:
        for a in range(0, n, CHUNK_SAMPLES):
            b = min(n, a + CHUNK_SAMPLES)
            block = raw.get_data(start=a, stop=b)
            for out, row in zip(outs, block, strict=True):
                out[a:b] = row * 1e6  # mne gives volts; rodent EEG/EMG reads best in uV
    except Exception as exc:  # a data section shorter than the header promises
        raise RecordingError(path, f"the data section cannot be read ({exc}); the file is "
                                   "truncated or damaged; copy or export it again") from None
    meas = raw.info.get("meas_date")
    start = meas.replace(tzinfo=None) if meas is not None else None
    channels = [RawChannel(name, _kind(name, kind), data, float(raw.info["sfreq"]), "uV")
                for name, kind, data in zip(names, types, outs, strict=True)]
    return channels, start, notes


def write_edf(recording: Recording, path: str | Path) -> None:
    """Write all channels as an EDF+ (1-s records) through `edfio`, atomically."""
    import edfio

    path = Path(path)
    signals = []
    for ch in recording.channels:
        data = np.asarray(ch.data, dtype=np.float64)
        lo, hi = float(data.min()), float(data.max())
        if hi <= lo:
            lo, hi = lo - 1.0, hi + 1.0
        signals.append(edfio.EdfSignal(data, sampling_frequency=ch.rate, label=ch.name,
                                       physical_dimension=ch.unit, physical_range=(lo, hi)))
    kwargs = {}
    if recording.start_time is not None:
        kwargs = {"recording": edfio.Recording(startdate=recording.start_time.date()),
                  "starttime": recording.start_time.time().replace(microsecond=0)}
    edf = edfio.Edf(signals, **kwargs)
    with atomic_path(path) as tmp:
        edf.write(tmp)
