"""EDF, EDF+ and BDF recordings, read through mne without preloading.

mne parses the header (labels, types, rates, start time, EDF+ annotations) and reads the
data lazily; we copy it in chunks into one float32 array per channel, so a 24 h, 512 Hz
file opens in about a second with about the samples' float32 size in memory (mne's own
preload would hold float64). Values are in microvolts. mne would resample signals of a
mixed-rate file to the highest rate, so those are read from the data records directly,
each at its own rate; an EDF+D's records are then moved to their onsets
(`edf_discontinuous`). `write_edf` writes through `edfio` (each signal at its own rate).
Must not validate or resample (see `assemble`).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from sleepscorer.errors import RecordingError
from sleepscorer.io.assemble import RawChannel, percent
from sleepscorer.io.atomic import atomic_path
from sleepscorer.io.edf_discontinuous import DISCONTINUOUS, place_records
from sleepscorer.io.recording import ChannelKind, Recording, is_trigger, kind_from_name
from sleepscorer.io.sniff import BDF_MAGIC, EDF_MAGIC

CHUNK_SAMPLES = 1 << 21  # per channel and read: 2 M samples (16 MB of float64 per channel)
_UV_PER_UNIT = {"uV": 1.0, "µV": 1.0, "mV": 1e3, "V": 1e6, "nV": 1e-3}
_MNE_KINDS = {"eeg": ChannelKind.EEG, "emg": ChannelKind.EMG}


ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")
CLIPPED_FRACTION = 0.001  # more samples than this at a rail of the header's range: clipped


def _open_raw(path: Path, bdf: bool, shown: Path | None = None):  # noqa: ANN202
    """mne's reader for what the header says the file is (BDF or EDF), not the extension.
    Errors name `shown` (the user's file) when `path` is a link to it."""
    import mne

    reader = mne.io.read_raw_bdf if bdf else mne.io.read_raw_edf
    real, path = path, shown or path
    try:
        # stim_channel=None: mne would otherwise read a signal named Trigger or Status as a
        # stim channel, unscaled (digital counts), which then read as 1e11 uV
        return reader(real, preload=False, stim_channel=None, verbose="error")
    except FileNotFoundError as exc:
        raise RecordingError(path, "the file does not exist; check the path") from exc
    except PermissionError as exc:
        raise RecordingError(path, "cannot open the file (permission denied); check its "
                                   "permissions") from exc
    except Exception as exc:  # mne raises ValueError, RuntimeError, IndexError... on bad headers
        detail = str(exc).strip().splitlines()[0] if isinstance(exc, ValueError | RuntimeError) \
            and str(exc).strip() else "its fields cannot be read"  # not Python's own words
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
    labels: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    physical: tuple[tuple[str, str], ...] = ()  # (min, max) as written
    digital: tuple[tuple[str, str], ...] = ()
    reserved: str = ""  # EDF+C, EDF+D (discontinuous), 24BIT...

    @property
    def bdf(self) -> bool:
        return self.sample_bytes == 3

    @property
    def discontinuous(self) -> bool:
        return self.reserved.startswith(DISCONTINUOUS)

    def is_signal(self, i: int) -> bool:
        return self.labels[i].strip() not in ANNOTATION_LABELS if self.labels else True


def _number(path: Path, raw: bytes, field: str, whole: bool = False) -> float:
    """A header number; `whole` ones must be integers (counts, sizes)."""
    text = raw.decode("latin-1").strip()
    try:
        value = float(text)
        if whole and value != int(value):
            raise ValueError(text)
    except (ValueError, OverflowError):
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise RecordingError(path, f"corrupt EDF header: field '{field}' is {text!r}; the file "
                                   "is damaged; export it again") from None
    return value


def check_layout(path: Path) -> tuple[_Layout, int]:
    """Header sanity and how many whole data records the file really holds."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(256)
        header_bytes, n_signals, n_records, record_s = _fixed_fields(path, head, size)
        fields = f.read(256 * n_signals)
    layout = _signal_layout(path, head, fields, n_signals, (header_bytes, n_records, record_s))
    _check_signals(path, layout)
    record_bytes = sum(layout.n_samples) * layout.sample_bytes
    available = (size - header_bytes) // record_bytes if record_bytes > 0 else 0
    return layout, available


def _fixed_fields(path: Path, head: bytes, size: int) -> tuple[int, int, int, float]:
    """Header bytes, signals, records and record length, checked before the per-signal fields
    are read, so a foreign or cut-off file is named as such instead of as a bad field."""
    if len(head) < 256 and head[:1] in (b"0", b"\xff"):
        raise RecordingError(path, f"truncated EDF header ({len(head)} of at least 256 "
                                   "bytes); copy the file again")
    if len(head) < 256 or head[:8] not in (EDF_MAGIC, BDF_MAGIC):
        raise RecordingError(path, "not an EDF/BDF file (its first bytes are not an EDF "
                                   "header); check the file type")
    header_bytes = int(_number(path, head[184:192], "number of bytes in header record", whole=True))
    n_signals = int(_number(path, head[252:256], "number of signals", whole=True))
    if size < header_bytes or header_bytes != 256 * (n_signals + 1):
        raise RecordingError(path, f"truncated EDF header ({min(size, header_bytes)} of "
                                   f"{256 * (n_signals + 1)} bytes); copy the file again")
    if n_signals < 1:
        raise RecordingError(path, f"the EDF header lists {n_signals} signals; the file "
                                   "holds no signals, export the EEG/EMG again")
    n_records = int(_number(path, head[236:244], "number of data records", whole=True))
    record_s = _number(path, head[244:252], "duration of a data record")
    return header_bytes, n_signals, n_records, record_s


def _signal_layout(path: Path, head: bytes, fields: bytes, n_signals: int,
                   fixed: tuple[int, int, float]) -> _Layout:
    """The per-signal columns as a `_Layout`; only the sample counts are checked here,
    because they size the data records that everything after depends on."""
    def column(offset: int, width: int) -> list[str]:
        base = offset * n_signals
        return [fields[base + width * i: base + width * (i + 1)].decode("latin-1").strip()
                for i in range(n_signals)]

    labels = tuple(column(0, 16))
    n_samples = tuple(int(_number(path, v.encode("latin-1"), "samples per record", whole=True))
                      for v in column(216, 8))
    if any(k < 0 for k in n_samples):
        raise RecordingError(path, "corrupt EDF header: a negative number of samples per "
                                   "record; the file is damaged; export it again")
    physical = tuple(zip(column(104, 8), column(112, 8), strict=True))
    digital = tuple(zip(column(120, 8), column(128, 8), strict=True))
    sample_bytes = 3 if head[:8] != b"0       " else 2
    header_bytes, n_records, record_s = fixed
    reserved = head[192:236].decode("latin-1").strip()
    return _Layout(header_bytes, n_records, record_s, n_samples, sample_bytes, labels,
                   tuple(column(96, 8)), physical, digital, reserved)


def _check_signals(path: Path, layout: _Layout) -> None:
    """Reject headers whose signals cannot be read as recordings (annotations only, no or
    absurd sampling rates), each with the fix the user can make."""
    labels, n_samples, record_s = layout.labels, layout.n_samples, layout.record_s
    signals = [i for i in range(len(labels)) if layout.is_signal(i)]
    if not signals:
        raise RecordingError(path, "the file holds only EDF+ annotations, no signals; export "
                                   "the EEG/EMG recording itself")
    if not (record_s > 0) or record_s != record_s or record_s == float("inf"):
        raise RecordingError(path, f"corrupt EDF header: data records last {record_s:g} s; "
                                   "the file is damaged (or holds only annotations); export "
                                   "it again")
    empty = [labels[i] for i in signals if n_samples[i] == 0]
    if empty:
        raise RecordingError(path, f"corrupt EDF header: signal {empty[0]!r} has 0 samples per "
                                   "data record; the file is damaged; export it again")
    for i in signals:
        rate = n_samples[i] / record_s
        if n_samples[i] and not 0.01 <= rate <= 1e6:
            raise RecordingError(path, f"corrupt EDF header: signal {labels[i]!r} has "
                                       f"{n_samples[i]} samples per {record_s:g}-s record "
                                       f"({rate:g} Hz); the file is damaged; export it again")


def _kind(name: str, mne_type: str) -> ChannelKind:
    """Name first (mne calls every EDF signal 'eeg' unless told), then mne's channel type."""
    by_name = kind_from_name(name)
    if by_name is not ChannelKind.OTHER:
        return by_name
    return ChannelKind.OTHER if mne_type == "eeg" else _MNE_KINDS.get(mne_type, ChannelKind.OTHER)


def _header_notes(path: Path, layout: _Layout) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """Warnings about zero-gain signals, and each usable signal's physical range."""
    notes, ranges = [], {}
    for i, label in enumerate(layout.labels):
        if not layout.is_signal(i):
            continue
        try:
            pmin, pmax = (float(v) for v in layout.physical[i])
            dmin, dmax = (float(v) for v in layout.digital[i])
        except ValueError:
            raise RecordingError(path, f"corrupt EDF header: signal {label!r} has physical "
                                       f"range {layout.physical[i]} and digital range "
                                       f"{layout.digital[i]}; export it again") from None
        if pmin == pmax or dmin == dmax:
            notes.append(f"channel {label}: the header gives it zero gain (physical "
                         f"{pmin:g}..{pmax:g}, digital {dmin:g}..{dmax:g}); its values cannot "
                         "be scaled and are read as flat; check the export settings")
        elif layout.units and layout.units[i] in _UV_PER_UNIT:
            to_uv = _UV_PER_UNIT[layout.units[i]]
            ranges[label] = (pmin * to_uv, pmax * to_uv)
    return notes, ranges


UNKNOWN_START = datetime(1985, 1, 1)  # EDF+ writes 01.01.85 00.00.00 when there is no start


def _clipping_note(name: str, data: np.ndarray, lo: float, hi: float) -> str | None:
    """A warning when many samples sit on the rails of the channel's physical range."""
    if len(data) == 0:
        return None
    span = abs(hi - lo)
    tol = span * 1e-4
    top, bottom = max(lo, hi), min(lo, hi)
    at_rail = int(np.count_nonzero(data >= top - tol) + np.count_nonzero(data <= bottom + tol))
    if at_rail <= max(10, CLIPPED_FRACTION * len(data)):
        return None
    return (f"channel {name}: {at_rail} samples ({percent(at_rail / len(data))}) sit at the "
            "limits of its recording range (clipped); the amplifier range is too small or the "
            "electrode saturated")


def read_edf(path: Path) -> tuple[list[RawChannel], datetime | None, list[str]]:
    """Channels (all signals but EDF+ annotations), start time and notes of an EDF/BDF.

    BDF and EDF are told apart by the header's first bytes, whatever the file is named."""
    layout, available = check_layout(path)
    if available == 0:  # said before mne opens it: mne fails on such a file in its own words
        raise RecordingError(path, "the file holds no complete data record (truncated copy?); "
                                   "copy or export it again")
    notes, ranges = _header_notes(path, layout)
    suffix = path.suffix.lower()
    if layout.bdf and suffix == ".edf":
        notes.append("the file is a BDF (24-bit) although named .edf; read as BDF")
    elif not layout.bdf and suffix == ".bdf":
        notes.append("the file is an EDF (16-bit) although named .bdf; read as EDF")
    wanted = ".bdf" if layout.bdf else ".edf"
    if suffix == wanted:
        found = _read_opened(path, _open_raw(path, layout.bdf), layout, available, notes, ranges)
    else:  # mne goes by the extension: read through a correctly named link (input untouched)
        with tempfile.TemporaryDirectory(prefix="sleepscorer-") as tmp:
            alias = Path(tmp) / f"recording{wanted}"
            try:
                alias.symlink_to(path.resolve())
            except OSError:
                shutil.copyfile(path, alias)
            found = _read_opened(path, _open_raw(alias, layout.bdf, shown=path), layout,
                                 available, notes, ranges)
    channels, start, notes = found
    if layout.discontinuous:  # mne reads records back to back: put each at its onset
        channels = place_records(path, layout, channels, notes)
    return channels, start, notes


def _read_opened(path: Path, raw, layout: _Layout, available: int, notes: list[str],  # noqa: ANN001
                 ranges: dict[str, tuple[float, float]],
                 ) -> tuple[list[RawChannel], datetime | None, list[str]]:
    if 0 < available < layout.n_records:  # none at all: refused in read_edf
        notes.append(f"the file ends after {available} of {layout.n_records} data records "
                     "(an incomplete copy?); reading what is there")
        raw.crop(tmax=available * layout.record_s - 1.0 / raw.info["sfreq"])
    names, types = raw.ch_names, raw.get_channel_types()
    signals = [i for i in range(len(layout.n_samples)) if layout.is_signal(i)]
    rates = [layout.n_samples[i] / layout.record_s for i in signals]
    units = _recorded_units(layout, signals, len(names))
    if len(set(rates)) > 1 and len(signals) == len(names):
        records = available if layout.n_records < 0 else min(layout.n_records, available)
        outs = _read_records(path, layout, signals, records, units)
        rates = [float(r) for r in rates]
    else:
        if len(set(rates)) > 1:  # mne names the signals differently: it resamples them
            notes.append(f"signals recorded at {', '.join(f'{r:g}' for r in sorted(set(rates)))}"
                         f" Hz were resampled to {raw.info['sfreq']:g} Hz")
        outs = _read_mne(path, raw, units)
        rates = [float(raw.info["sfreq"])] * len(names)
    for name, data in zip(names, outs, strict=True):
        if name in ranges and not is_trigger(name, kind_from_name(name)):
            clipped = _clipping_note(name, data, *ranges[name])
            if clipped:
                notes.append(clipped)
    meas = raw.info.get("meas_date")
    start = meas.replace(tzinfo=None) if meas is not None else None
    if start == UNKNOWN_START:  # EDF's placeholder for an unknown or anonymised date
        start = None
    channels = [RawChannel(name, _kind(name, kind), data, rate, unit or "uV")
                for name, kind, data, rate, unit in zip(names, types, outs, rates, units,
                                                        strict=True)]
    return channels, start, notes


def _recorded_units(layout: _Layout, signals: list[int], n: int) -> list[str | None]:
    """Each signal's unit when it is not a voltage (g, Boolean, degC...), else None: such a
    channel is kept in its own unit, never shown as microvolts a million times too large."""
    if not layout.units or len(signals) != n:
        return [None] * n
    found = [layout.units[i].strip() for i in signals]
    return [u if u.lower() not in _VOLTAGE_UNITS else None for u in found]


def _read_mne(path: Path, raw, units: list[str | None]) -> list[np.ndarray]:  # noqa: ANN001
    """Every channel through mne (one rate), copied in chunks to float32 microvolts (a
    signal with a unit of its own, `units`, as recorded)."""
    to_uv = [1e6 if u is None else 1.0 for u in units]  # mne gives volts, or the own unit
    n = raw.n_times
    outs = [np.empty(n, dtype=np.float32) for _ in raw.ch_names]
    try:
        for a in range(0, n, CHUNK_SAMPLES):
            b = min(n, a + CHUNK_SAMPLES)
            block = raw.get_data(start=a, stop=b)
            for out, row, factor in zip(outs, block, to_uv, strict=True):
                out[a:b] = row * factor  # rodent EEG/EMG reads best in uV
    except Exception as exc:  # a data section shorter than the header promises
        raise RecordingError(path, f"the data section cannot be read ({exc}); the file is "
                                   "truncated or damaged; copy or export it again") from None
    return outs


# mne's unit scaling (to volts) expressed in microvolts: uV and mV are known, anything
# else is taken as volts, so the two read paths give the same numbers for one file
_MNE_UV = {"uV": 1.0, "\u03bcV": 1.0, "\u00b5V": 1.0, "mV": 1e3}
_VOLTAGE_UNITS = {"", *(u.lower() for u in (*_UV_PER_UNIT, *_MNE_UV))}


def _read_records(path: Path, layout: _Layout, signals: list[int], records: int,
                  units: list[str | None]) -> list[np.ndarray]:
    """The `signals` of the first `records` data records, each at its own rate, as float32
    microvolts scaled as mne scales them (a signal with a unit of its own, `units`, as
    recorded): for mixed-rate files, which mne would resample."""
    per_record = sum(layout.n_samples)
    starts = np.concatenate([[0], np.cumsum(layout.n_samples)])
    width = layout.sample_bytes
    scales = []
    for i, own_unit in zip(signals, units, strict=True):
        try:
            pmin, pmax = (float(v) for v in layout.physical[i])
            dmin, dmax = (float(v) for v in layout.digital[i])
        except ValueError:
            raise RecordingError(path, f"corrupt EDF header: signal {layout.labels[i]!r} has "
                                       "an unreadable physical or digital range; export it "
                                       "again") from None
        gain = (pmax - pmin) / (dmax - dmin) if dmax != dmin else 0.0
        to_uv = 1.0 if own_unit else _MNE_UV.get(layout.units[i] if layout.units else "", 1e6)
        scales.append((gain * to_uv, (pmin - dmin * gain) * to_uv))
    outs = [np.empty(records * layout.n_samples[i], dtype=np.float32) for i in signals]
    step = max(1, CHUNK_SAMPLES // max(per_record, 1))
    try:
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=layout.header_bytes,
                         shape=(records, per_record * width)) if records else None
        for a in range(0, records, step):
            b = min(records, a + step)
            block = np.asarray(data[a:b]).reshape(b - a, per_record, width)
            if width == 2:
                digital = block.view("<i2")[..., 0].astype(np.float64)
            else:  # BDF: 24-bit little-endian two's complement
                digital = (block[..., 0].astype(np.int32) | (block[..., 1].astype(np.int32) << 8)
                           | (block[..., 2].astype(np.int8).astype(np.int32) << 16)).astype(np.float64)
            for out, i, (gain, offset) in zip(outs, signals, scales, strict=True):
                k = layout.n_samples[i]
                out[a * k:b * k] = (digital[:, starts[i]:starts[i] + k] * gain + offset).ravel()
    except (OSError, ValueError) as exc:
        raise RecordingError(path, f"the data section cannot be read ({exc}); the file is "
                                   "truncated or damaged; copy or export it again") from None
    return outs


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
