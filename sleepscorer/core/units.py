"""The unit a channel is shown in: a voltage with the SI prefix that suits its size.

Readers hold EEG and EMG in µV (what the model reads), and an EDF reader turns every voltage
into µV, so a 4.6 V trigger is held as 4.6e6 µV. Shown as such it reads as a microvolt
signal a million times too large. The app's thin tracks and `sleepscorer info` both name a
channel's unit through `shown_unit`, so they agree. Pure: no GUI toolkit.
"""

from __future__ import annotations

import numpy as np

VOLT_PREFIXES = {"": 1.0, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "k": 1e3}
_SI_PREFIXES = ("p", "n", "µ", "m", "", "k", "M")  # 1e-12 .. 1e6
_CHUNK = 1 << 22  # samples read at once (bounded memory on memory maps)


def volts_per_unit(unit: str | None) -> float | None:
    """Volts in one `unit` ('uV' -> 1e-6, 'V' -> 1), or None for a unit that is no voltage."""
    unit = (unit or "").strip()
    return VOLT_PREFIXES.get(unit[:-1]) if unit[-1:] in ("V", "v") else None


def si_prefix(value: float) -> tuple[float, str]:
    """The factor and SI prefix that bring |value| to 1..1000: 4.6 -> (1, ''), 5e-05 ->
    (1e6, 'µ'); (1, '') for 0. Here rather than in the plotting library, so the CLI
    names units as the app does."""
    if not np.isfinite(value) or value == 0:
        return 1.0, ""
    k = int(np.clip(np.floor(np.log10(abs(value)) / 3 + 1e-9), -4, 2))
    return 10.0 ** (-3 * k), _SI_PREFIXES[k + 4]


def peak(data: np.ndarray) -> float:
    """The largest finite |sample|, read in chunks: a sparse sample missed 5-ms trigger
    pulses, and a peak below the pulses names the wrong prefix."""
    found = 0.0
    for a in range(0, len(data), _CHUNK):
        block = np.abs(np.asarray(data[a:a + _CHUNK], np.float32))
        block = block[np.isfinite(block)]
        if len(block):
            found = max(found, float(block.max()))
    return found


def shown_unit(unit: str | None, peak_value: float = 0.0) -> tuple[float, str]:
    """(factor from held values to shown ones, unit shown). A voltage with a `peak_value`
    (in `unit`) gets the prefix that suits it: ('uV', 4.6e6) -> (1e-6, 'V'); without a peak,
    or a unit that is no voltage (g, degC), the unit as held ('uV' written 'µV')."""
    unit = (unit or "").strip()
    to_volts = volts_per_unit(unit)
    if to_volts is None or not peak_value > 0:
        return 1.0, "µV" if unit.lower() == "uv" else unit
    factor, prefix = si_prefix(peak_value * to_volts)
    return to_volts * factor, f"{prefix}V"
