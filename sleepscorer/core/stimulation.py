"""Optogenetic stimulation trains found on a trigger channel, and the states around each.

Labs that stimulate ask what each train did: the states during it, in the minute after it,
and how long until the animal slept again. Whole-file statistics mix stimulated and quiet
time, so these figures are reported per train. Must not import Qt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from sleepscorer.core.statistics import sleep_onset
from sleepscorer.io.recording import Channel, Recording, is_trigger
from sleepscorer.stages import Stage, mask_runs

AFTER_S = 60.0  # the window after each train that is summarised


@dataclass(frozen=True)
class Train:
    start_s: float
    stop_s: float
    during: dict[Stage, float]  # share of the train's scored epochs in each state
    after: dict[Stage, float]  # the same for the AFTER_S that follow it
    sleep_after_s: float | None  # from the train's end to sleep onset (statistics.sleep_onset)


def find_trigger(rec: Recording) -> Channel | None:
    """The stimulation trigger channel, recognised by name (Trigger, ADC1, TTL, stim...)."""
    for c in rec.channels:
        if is_trigger(c.name, c.kind):
            return c
    return None


def stimulation_epochs(trigger: Channel, n_epochs: int, epoch_length: float = 1.0,
                       pad_s: float = 1.0) -> np.ndarray:
    """Epochs during a stimulation train: the trigger above half its range, gaps < 2 s bridged."""
    x = np.asarray(trigger.data, dtype=np.float64)
    lo, hi = np.percentile(x, 1), x.max()
    mask = np.zeros(n_epochs, dtype=bool)
    if hi - lo <= 1e-9:
        return mask
    on = np.flatnonzero(x > lo + 0.5 * (hi - lo)) / trigger.rate
    idx = np.unique((on / epoch_length).astype(np.int64))
    mask[idx[idx < n_epochs]] = True
    bridge = max(1, int(round(2.0 / epoch_length)))
    mask = ndimage.binary_closing(mask, np.ones(bridge + 1, bool)) | mask
    pad = int(round(pad_s / epoch_length))
    return ndimage.binary_dilation(mask, np.ones(2 * pad + 1, bool)) if pad else mask


def find_trains(recording: Recording, n_epochs: int, epoch_length: float = 1.0
                ) -> tuple[str, list[tuple[int, int]]] | None:
    """(trigger channel name, epoch ranges of each train), or None without a trigger."""
    trigger = find_trigger(recording)
    if trigger is None:
        return None
    mask = stimulation_epochs(trigger, n_epochs, epoch_length, pad_s=0.0)
    return trigger.name, mask_runs(mask)


def around_trains(stages: np.ndarray, trains: list[tuple[int, int]], epoch_length: float = 1.0,
                  after_s: float = AFTER_S) -> list[Train]:
    stages = np.asarray(stages)
    after_n = max(1, int(round(after_s / epoch_length)))
    out = []
    for a, b in trains:  # asleep: as for sleep latency (one NREM second in Wake is not sleep)
        asleep = sleep_onset(stages[b:], epoch_length)
        out.append(Train(a * epoch_length, b * epoch_length, _shares(stages[a:b]),
                         _shares(stages[b:b + after_n]),
                         None if asleep is None else float(asleep) * epoch_length))
    return out


def _shares(stages: np.ndarray) -> dict[Stage, float]:
    scored = stages[stages != Stage.UNSCORED]
    if len(scored) == 0:
        return {}
    values, counts = np.unique(scored, return_counts=True)
    return {Stage(int(v)): float(c) / len(scored) for v, c in zip(values, counts, strict=True)}


def trains_text(channel: str, trains: list[Train], after_s: float = AFTER_S,
                narrow: bool = False) -> str:
    """One line per train, as `sleepscorer stats --recording` prints it (`narrow`: a line for
    each part, for the app's side panel)."""
    if not trains:
        return f"stimulation: trigger channel {channel!r}, no train found"

    def shares(d: dict[Stage, float]) -> str:
        return ", ".join(f"{s.label} {100 * v:.0f} %" for s, v in sorted(d.items())) or "unscored"

    lines = [f"stimulation: {len(trains)} train(s) on {channel!r}"]
    for t in trains:
        sleep = "no sleep after" if t.sleep_after_s is None else f"asleep after {t.sleep_after_s:g} s"
        sep = "\n      " if narrow else "; "
        lines.append(f"  {_clock(t.start_s)}-{_clock(t.stop_s)}:{sep if narrow else ' '}during "
                     f"{shares(t.during)}{sep}next {after_s:g} s {shares(t.after)}{sep}{sleep}")
    return "\n".join(lines)


def trains_dict(channel: str, trains: list[Train]) -> dict:
    return {"trigger_channel": channel, "after_s": AFTER_S, "trains": [
        {"start_s": t.start_s, "stop_s": t.stop_s,
         "during": {s.label: v for s, v in t.during.items()},
         "after": {s.label: v for s, v in t.after.items()},
         "sleep_after_s": t.sleep_after_s} for t in trains]}


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
