"""Small, exact writers of the formats SleepScorer reads, with every field under the test's
control, so bad files can be made byte by byte (EDF/BDF, Open Ephys, .mat, tables, labels)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Signal:
    label: str
    digital: np.ndarray  # integer samples, n_records * per_record of them
    per_record: int
    physical: tuple[float, float] = (-500.0, 500.0)
    digital_range: tuple[int, int] = (-32768, 32767)
    unit: str = "uV"


def _field(value: object, width: int) -> bytes:
    text = value if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
    return text.encode("latin-1")[:width].ljust(width, b" ")


@dataclass
class EdfSpec:
    signals: list[Signal]
    n_records: int
    record_s: float = 1.0
    bdf: bool = False
    edf_plus: bool = False
    overrides: dict[str, str] = field(default_factory=dict)  # raw text of fixed header fields
    truncate_to: int | None = None


def edf_bytes(spec: EdfSpec) -> bytes:
    """An EDF (16-bit) or BDF (24-bit) file exactly as `spec` says, damaged as it asks."""
    ns = len(spec.signals)
    o = spec.overrides
    head = b"".join([
        b"\xffBIOSEMI" if spec.bdf else b"0       ",
        _field(o.get("patient", "X X X X"), 80),
        _field(o.get("recording", "Startdate 01-JAN-2024 X X X"), 80),
        _field(o.get("startdate", "01.01.24"), 8),
        _field(o.get("starttime", "10.00.00"), 8),
        _field(o.get("header_bytes", str(256 * (ns + 1))), 8),
        _field(o.get("reserved", ("24BIT" if spec.bdf else "EDF+C" if spec.edf_plus else "")), 44),
        _field(o.get("n_records", str(spec.n_records)), 8),
        _field(o.get("record_s", f"{spec.record_s:g}"), 8),
        _field(o.get("n_signals", str(ns)), 4),
    ])
    cols = [
        ("label", 16, lambda s: s.label), ("transducer", 80, lambda s: ""),
        ("unit", 8, lambda s: s.unit), ("pmin", 8, lambda s: f"{s.physical[0]:g}"),
        ("pmax", 8, lambda s: f"{s.physical[1]:g}"), ("dmin", 8, lambda s: str(s.digital_range[0])),
        ("dmax", 8, lambda s: str(s.digital_range[1])), ("prefilter", 80, lambda s: ""),
        ("per_record", 8, lambda s: str(s.per_record)), ("reserved_s", 32, lambda s: ""),
    ]
    for name, width, get in cols:
        head += b"".join(_field(o.get(f"{name}{i}", get(s)), width)
                         for i, s in enumerate(spec.signals))
    body = bytearray()
    for r in range(spec.n_records):
        for s in spec.signals:
            chunk = np.asarray(s.digital[r * s.per_record:(r + 1) * s.per_record], dtype=np.int64)
            if spec.bdf:
                u = (chunk & 0xFFFFFF).astype("<u4").view(np.uint8).reshape(-1, 4)[:, :3]
                body += u.tobytes()
            else:
                body += chunk.astype("<i2").tobytes()
    data = head + bytes(body)
    return data if spec.truncate_to is None else data[: spec.truncate_to]


def eeg_emg_signals(seconds: int, rate: int = 256, seed: int = 0, bdf: bool = False,
                    labels: tuple[str, str] = ("EEG1", "EMG1")) -> list[Signal]:
    """Two plausible signals (a 7-Hz rhythm with noise; EMG noise) as digital samples."""
    rng = np.random.default_rng(seed)
    n = seconds * rate
    t = np.arange(n) / rate
    hi = (1 << 23) - 1 if bdf else 32767
    eeg = (0.2 * np.sin(2 * np.pi * 7 * t) + 0.05 * rng.standard_normal(n)) * hi
    emg = 0.05 * rng.standard_normal(n) * hi
    rng_d = (-hi - 1, hi)
    return [Signal(labels[0], eeg.astype(np.int64), rate, digital_range=rng_d),
            Signal(labels[1], emg.astype(np.int64), rate, digital_range=rng_d)]


def write_edf_spec(path: Path, spec: EdfSpec) -> Path:
    path.write_bytes(edf_bytes(spec))
    return path


def good_edf(path: Path, seconds: int = 20, rate: int = 256, bdf: bool = False, **kw) -> Path:
    return write_edf_spec(path, EdfSpec(eeg_emg_signals(seconds, rate, bdf=bdf), seconds,
                                        1.0, bdf, **kw))


def continuous_bytes(samples: np.ndarray, rate: float = 1000.0, bit_volts: float = 0.195,
                     header_extra: str = "", n_override: int | None = None,
                     channel: str = "CH1") -> bytes:
    """An Open Ephys legacy .continuous file (1024-byte header, 1024-sample records)."""
    from sleepscorer.io.openephys import RECORD

    text = (f"header.format = 'Open Ephys Data Format';\nheader.sampleRate = {rate:g};\n"
            f"header.bitVolts = {bit_volts:g};\nheader.channel = '{channel}';\n"
            f"header.date_created = '01-Jan-2024 100000';\n{header_extra}")
    head = text.encode("latin-1").ljust(1024, b" ")[:1024]
    n_rec = int(np.ceil(len(samples) / 1024))
    recs = np.zeros(n_rec, dtype=RECORD)
    padded = np.zeros(n_rec * 1024, dtype=np.int64)
    padded[: len(samples)] = samples
    recs["samples"] = padded.reshape(n_rec, 1024)
    recs["n"] = 1024 if n_override is None else n_override
    recs["timestamp"] = np.arange(n_rec) * 1024
    return head + recs.tobytes()


def write_openephys(folder: Path, seconds: int = 20, rate: float = 1000.0, **kw) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    eeg = (2000 * np.sin(2 * np.pi * 7 * t) + 300 * rng.standard_normal(n)).astype(np.int64)
    emg = (300 * rng.standard_normal(n)).astype(np.int64)
    (folder / "EEG.continuous").write_bytes(continuous_bytes(eeg, rate, **kw))
    (folder / "EMG.continuous").write_bytes(continuous_bytes(emg, rate, **kw))
    return folder


def sdreamer_mat(seconds: int = 20, rate: float = 256.0, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    return {"eeg": (50 * np.sin(2 * np.pi * 7 * t) + 10 * rng.standard_normal(n)),
            "emg": 5 * rng.standard_normal(n), "eeg_frequency": float(rate)}


def write_mat73(path: Path, variables: dict) -> Path:
    """A MATLAB v7.3 file (HDF5 with the 512-byte MATLAB preamble) of plain datasets."""
    import h5py

    with h5py.File(path, "w", userblock_size=512) as f:
        for name, value in variables.items():
            if isinstance(value, dict):
                g = f.create_group(name)
                for k, v in value.items():
                    g.create_dataset(k, data=np.atleast_2d(np.asarray(v, dtype=np.float64)).T)
            elif isinstance(value, str):
                d = f.create_dataset(name, data=np.array([[ord(c)] for c in value], np.uint16))
                d.attrs["MATLAB_class"] = np.bytes_(b"char")
            else:
                f.create_dataset(name, data=np.atleast_2d(np.asarray(value)).T)
    with open(path, "r+b") as fh:
        fh.write(b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 10:00:00 2024 "
                 b"HDF5 schema 1.00 .".ljust(116))
        fh.seek(124)
        fh.write(b"\x00\x02IM")
    return path


def labels_csv(rows: list[tuple], header: str = "epoch,onset_s,duration_s,stage,confidence,source"
               ) -> str:
    return header + "\n" + "\n".join(",".join("" if v is None else str(v) for v in r)
                                     for r in rows) + "\n"
