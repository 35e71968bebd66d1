"""An x axis in seconds labelled as hh:mm:ss (or mm:ss.s when zoomed in)."""

from __future__ import annotations

import math

import pyqtgraph as pg


def format_time(seconds: float, decimals: int = 0) -> str:
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    sec = f"{s:0{3 + decimals}.{decimals}f}" if decimals else f"{int(s):02d}"
    return f"{sign}{int(h)}:{int(m):02d}:{sec}"


def parse_time(text: str) -> float:
    """'1:02:03', '02:03', '75.5' or '75.5s' -> seconds; ValueError saying why if not a time.
    The first field may be any size ('90:00' is 90 min, '75' is 75 s), but a minutes or
    seconds field after it must be below 60: '9:99' is a typo, not 10:39."""
    text = text.strip().lower().rstrip("s").strip()
    if not text:
        raise ValueError("empty time")
    parts = text.split(":")
    if len(parts) > 3:
        raise ValueError(f"cannot read time {text!r}")
    units = ("hours", "minutes", "seconds")[-len(parts):]
    total = 0.0
    for i, (part, unit) in enumerate(zip(parts, units, strict=True)):
        try:
            value = float(part)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ValueError("not a time; give hh:mm:ss, mm:ss or seconds, e.g. 1:05:30 or "
                             "930")
        if value < 0:
            raise ValueError("time must not be negative")
        if i > 0 and value >= 60:
            raise ValueError(f"{unit} must be below 60 (got {part}); give hh:mm:ss, e.g. "
                             "1:05:30")
        total = total * 60 + value
    return total


class TimeAxis(pg.AxisItem):
    def __init__(self, orientation: str = "bottom", **kwargs):
        super().__init__(orientation, **kwargs)

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (Qt naming)
        decimals = 1 if spacing < 1 else 0
        return [format_time(v, decimals) for v in values]

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 (Qt naming)
        """Ticks at clock-friendly steps (1 s, 5 s, 30 s, 1 min, 10 min, 1 h ...)."""
        span = maxVal - minVal
        if span <= 0 or size <= 0:
            return super().tickSpacing(minVal, maxVal, size)
        wanted = span / max(2.0, size / 110.0)  # about one label per 110 px
        if wanted < _STEPS[0]:
            return super().tickSpacing(minVal, maxVal, size)
        major = next((s for s in _STEPS if s >= wanted), _STEPS[-1])
        minor = next((s for s in reversed(_STEPS) if s <= major / 4), major / 5)
        return [(major, 0), (minor, 0)]


_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
          10800, 21600, 43200, 86400)
