"""MATLAB .mat files: the sDREAMER layout, the MiSleep layout, and v7.3 (HDF5) files.

`load_mat` gives plain numpy values for v5 and v7.3 files alike; `read_mat` turns them
into channels for a `Recording`. Must not validate or resample (see `assemble`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from sleepscorer.errors import RecordingError
from sleepscorer.io.assemble import RawChannel
from sleepscorer.io.recording import ChannelKind, kind_from_name
from sleepscorer.io.sniff import labels_not_signals

_MISLEEP_TIME_FORMATS = ("%Y%m%d-%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


def load_mat(path: Path) -> dict[str, Any]:
    """Top-level variables of a .mat file (v4-v7 via scipy, v7.3 via h5py), read-only.

    Structs become dicts; h5py arrays are transposed back to MATLAB's row/column order.
    """
    import scipy.io
    from scipy.io.matlab import MatReadError

    try:
        raw = scipy.io.loadmat(str(path), simplify_cells=True)
    except NotImplementedError:  # v7.3: an HDF5 file
        return _load_mat_hdf5(path)
    except (MatReadError, ValueError, TypeError, OSError) as exc:
        raise RecordingError(path, f"cannot read this .mat file ({exc}); "
                                   "save it again from MATLAB (v7 or v7.3)") from exc
    return {k: v for k, v in raw.items() if not k.startswith("__")}


def _load_mat_hdf5(path: Path) -> dict[str, Any]:
    import h5py

    def convert(node: Any) -> Any:
        if isinstance(node, h5py.Group):
            return {k: convert(v) for k, v in node.items() if not k.startswith("#")}
        if not isinstance(node, h5py.Dataset):  # a soft/external link
            return None
        value = node[()]
        if node.attrs.get("MATLAB_class", b"") == b"char":
            try:
                return "".join(chr(int(c)) for c in np.asarray(value).ravel())
            except (TypeError, ValueError, OverflowError):
                return str(value)
        value = np.asarray(value)
        if value.dtype == object or value.dtype.kind == "V":  # cell arrays: references
            return [value]
        return value.T if value.ndim >= 2 else value

    try:
        with h5py.File(path, "r") as f:
            return {k: convert(v) for k, v in f.items() if not k.startswith("#")}
    except OSError as exc:
        raise RecordingError(path, f"cannot read this .mat file ({exc}); "
                                   "save it again from MATLAB (v7 or v7.3)") from exc


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"text {value[:20]!r}"
    if isinstance(value, dict):
        return "a struct"
    if isinstance(value, (list, tuple)):
        return "a cell array"
    arr = np.asarray(value)
    if arr.dtype == object:
        return "a cell array or references"
    if arr.dtype.kind in "SUV":
        return "text"
    return f"a {arr.dtype} array of shape {arr.shape}"


def _signal(path: Path, value: Any, name: str) -> np.ndarray:
    """A MATLAB vector or (epochs x samples) matrix as one float32 time series."""
    arr = None if isinstance(value, (str, dict, list, tuple)) else np.asarray(value)
    if arr is None or arr.dtype.kind not in "biuf" or arr.size == 0:
        what = "empty" if arr is not None and arr.size == 0 else _describe(value)
        raise RecordingError(path, f"'{name}' is {what}, not a numeric signal; save it as a "
                                   "numeric vector (samples) or matrix (epochs x samples)")
    return np.ascontiguousarray(arr.astype(np.float32).ravel())


def _scalar(path: Path, value: Any, name: str) -> float:
    """A sampling rate: one positive number (not text such as '256 Hz', not empty)."""
    arr = None if isinstance(value, (str, dict, list, tuple)) else np.asarray(value)
    if arr is None or arr.dtype.kind not in "biuf" or arr.size == 0:
        what = "empty" if arr is not None and arr.size == 0 else _describe(value)
        raise RecordingError(path, f"'{name}' is {what}; it must be the sampling rate in Hz as "
                                   "a number (e.g. 512)")
    rate = float(arr.astype(np.float64).ravel()[0])
    if not np.isfinite(rate) or rate <= 0:
        raise RecordingError(path, f"'{name}' is {rate:g}; it must be a positive sampling rate "
                                   "in Hz")
    return rate


def read_mat(path: Path) -> tuple[list[RawChannel], datetime | None, list[str]]:
    """Channels, start time and notes from an sDREAMER or MiSleep .mat file."""
    variables = load_mat(path)
    lower = {k.lower(): k for k in variables}
    if "eeg" in lower:
        return _read_sdreamer(path, variables, lower)
    struct = variables.get("data")
    if isinstance(struct, dict) and any(kind_from_name(k) is ChannelKind.EEG for k in struct):
        return _read_misleep(path, struct)
    found = ", ".join(sorted(variables)) or "nothing"
    if labels_only(set(lower)):  # an AccuSleep/MiSleep label file
        raise RecordingError(path, labels_not_signals(found))
    raise RecordingError(path, f"no EEG in this .mat file (found {found}); expected a variable "
                               "'eeg' with 'eeg_frequency' (sDREAMER) or a struct 'data' with "
                               "EEG_* fields and 'sf' (MiSleep)")


def labels_only(names: set[str]) -> bool:
    """Whether a .mat's variable names (lower case) are a label file's: `sleep_scores` and
    nothing a recording holds (`data`, `sf`, or an EEG/EMG-named variable); one with an EMG
    and no EEG is a broken recording, which its reader names."""
    return "sleep_scores" in names and not any(
        n in ("data", "sf") or kind_from_name(n) is not ChannelKind.OTHER for n in names)


def _read_sdreamer(path: Path, variables: dict[str, Any], lower: dict[str, str],
                   ) -> tuple[list[RawChannel], datetime | None, list[str]]:
    def get(name: str) -> Any:
        return variables[lower[name]] if name in lower else None

    rate_value = get("eeg_frequency") if "eeg_frequency" in lower else get("sf")
    if rate_value is None:
        raise RecordingError(path, "the .mat file has 'eeg' but no 'eeg_frequency'; add the "
                                   "sampling rate in Hz as 'eeg_frequency'")
    rate_name = lower["eeg_frequency"] if "eeg_frequency" in lower else lower["sf"]
    rate = _scalar(path, rate_value, rate_name)
    channels = [RawChannel("EEG", ChannelKind.EEG, _signal(path, get("eeg"), lower["eeg"]),
                           rate)]
    notes: list[str] = []
    if "emg" in lower:
        emg_rate = (_scalar(path, get("emg_frequency"), lower["emg_frequency"])
                    if "emg_frequency" in lower else rate)
        channels.append(RawChannel("EMG", ChannelKind.EMG,
                                   _signal(path, get("emg"), lower["emg"]), emg_rate))
    if "ne" in lower:
        ne = _signal(path, get("ne"), lower["ne"])
        if "ne_frequency" in lower:
            ne_rate = _scalar(path, get("ne_frequency"), lower["ne_frequency"])
        else:  # NE photometry is slower; assume it spans the same time as the EEG
            ne_rate = rate * len(ne) / max(len(channels[0].data), 1)
            notes.append(f"'ne' has no 'ne_frequency'; assumed {ne_rate:.4g} Hz "
                         "(same duration as the EEG)")
        channels.append(RawChannel("NE", ChannelKind.OTHER, ne, ne_rate))
    return channels, _parse_time(get("start_time")), notes


def _read_misleep(path: Path, struct: dict[str, Any],
                  ) -> tuple[list[RawChannel], datetime | None, list[str]]:
    names = [k for k in struct if kind_from_name(k) is not ChannelKind.OTHER]
    if "sf" not in struct:
        raise RecordingError(path, "the MiSleep struct 'data' has no 'sf' (sampling rate); add "
                                   "it in Hz, one value per channel")
    sf = struct["sf"]
    _scalar(path, sf, "data.sf")  # a clear error for text, empty or non-positive rates
    rates = np.atleast_1d(np.asarray(sf, dtype=np.float64).ravel())
    channels = []
    for i, name in enumerate(names):
        rate = float(rates[i] if i < len(rates) else rates[0])
        if not np.isfinite(rate) or rate <= 0:
            raise RecordingError(path, f"'data.sf' gives channel {name} the rate {rate:g}; it "
                                       "must be a positive sampling rate in Hz")
        # MiSleep stores millivolts
        channels.append(RawChannel(name, kind_from_name(name),
                                   _signal(path, struct[name], f"data.{name}"), rate, "mV"))
    return channels, _parse_time(struct.get("time")), []


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        value = value.ravel()[0] if value.size else None
    if isinstance(value, str):
        text = value.strip()
        for fmt in _MISLEEP_TIME_FORMATS:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    return None


def read_sleep_scores(path: Path) -> np.ndarray:
    """The `sleep_scores` vector of a .mat file (0 Wake, 1 NREM, 2 REM, 3 MA)."""
    from sleepscorer.errors import LabelsError

    try:
        variables = load_mat(path)
    except RecordingError as exc:
        raise LabelsError(path, exc.problem) from exc
    lower = {k.lower(): k for k in variables}
    if "sleep_scores" not in lower:
        raise LabelsError(path, "no 'sleep_scores' variable in this .mat file; save the labels "
                                "as 'sleep_scores' (0 Wake, 1 NREM, 2 REM, 3 MA)")
    value = variables[lower["sleep_scores"]]
    arr = None if isinstance(value, (str, dict, list, tuple)) else np.asarray(value)
    if arr is None or arr.dtype.kind not in "biuf":
        raise LabelsError(path, f"'sleep_scores' is {_describe(value)}, not numbers; save it "
                                "as a numeric vector (0 Wake, 1 NREM, 2 REM, 3 MA)")
    # an empty one was written out as a label file every command refuses, a 3x4 matrix read
    # as 12 epochs in an order nobody chose
    if arr.size == 0:
        raise LabelsError(path, "'sleep_scores' is empty: the file holds no epochs; save the "
                                "labels as a vector of one code per epoch (0 Wake, 1 NREM, "
                                "2 REM, 3 MA)")
    if sum(n > 1 for n in arr.shape) > 1:
        shape = "x".join(str(n) for n in arr.shape)  # as MATLAB writes it: 3x4
        raise LabelsError(path, f"'sleep_scores' is a {shape} matrix, not a vector; save "
                                "the labels as one row or column with one code per epoch "
                                "(0 Wake, 1 NREM, 2 REM, 3 MA)")
    return arr.astype(np.float64).ravel()
