"""The one in-memory form of a recording that every reader produces and everything else uses.

Must not know about file formats (readers live beside it) or about Qt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path

import numpy as np


class ChannelKind(str, Enum):  # noqa: UP042 - str(kind) stays 'ChannelKind.EEG'
    EEG = "EEG"
    EMG = "EMG"
    OTHER = "other"


_EEG_NAME = re.compile(r"^(eeg|ecog|lfp|fp|fc|par|front|cortex)", re.IGNORECASE)
_EMG_NAME = re.compile(r"^(emg|nuchal|muscle)", re.IGNORECASE)


MIN_SIGNAL_RATE = 32.0  # Hz: below it an EEG holds nothing above 16 Hz, not a sleep EEG
LOW_SIGNAL_RATE = 100.0  # Hz: below it the EMG band (10-90 Hz) and the EEG's top are lost


def too_slow_to_score(ch: Channel) -> str:
    return (f"{ch.kind.value} channel {ch.name} is sampled at {ch.rate:g} Hz; sleep scoring needs "
            f"at least {MIN_SIGNAL_RATE:g} Hz (for a table, check --rate)")


def rate_note(ch: Channel) -> str | None:
    """A warning for an EEG or EMG too slow to score well, or at all (scoring refuses that
    one); viewing it stays possible."""
    if ch.rate >= LOW_SIGNAL_RATE:
        return None
    if ch.rate < MIN_SIGNAL_RATE:
        return too_slow_to_score(ch)
    reads = "up to 40 Hz" if ch.kind is ChannelKind.EEG else "from 10 to 90 Hz"
    return (f"{ch.kind.value} channel {ch.name} is sampled at {ch.rate:g} Hz, so it holds nothing "
            f"above {ch.rate / 2:g} Hz; the model reads the {ch.kind.value} {reads}: expect "
            "poorer scores (it is checked at 128 Hz and above)")


TRIGGER_NAMES = ("trig", "stim", "ttl", "adc", "laser", "opto")


def is_trigger(name: str, kind: ChannelKind) -> bool:
    """A stimulation trigger (Trigger, ADC1, TTL, stim...): flat between pulses and at its
    rails during them by nature, so neither is a fault of it."""
    return kind is ChannelKind.OTHER and any(k in name.lower() for k in TRIGGER_NAMES)


def kind_from_name(name: str) -> ChannelKind:
    """Guess a channel's role from its label (EEG1, EEG_P, EMG_DIFF, ...)."""
    stripped = name.strip()
    if _EMG_NAME.match(stripped) or "emg" in stripped.lower():
        return ChannelKind.EMG
    if _EEG_NAME.match(stripped) or "eeg" in stripped.lower():
        return ChannelKind.EEG
    return ChannelKind.OTHER


@dataclass
class Channel:
    """One signal. `data` is float32 in volts-like units as stored (may be a memory map).

    `missing` marks, per sample, what the file did not hold (NaN/inf, an EDF+D gap): those
    samples read 0 in `data`, and an epoch mostly made of them is no signal to score."""

    name: str
    kind: ChannelKind
    data: np.ndarray
    rate: float
    unit: str = ""
    missing: np.ndarray | None = None  # bool per sample; None: every sample was recorded

    @property
    def duration_s(self) -> float:
        return len(self.data) / self.rate


# the one wording of a missing EMG: the recording says it and so does a scoring of it, and
# an output prints each warning once (a user trial found two sentences saying the same)
NO_EMG_NOTE = "no EMG channel: EEG-only scoring (REM and wake are harder to tell apart)"


@dataclass
class Recording:
    """Channels of one recording session, each at its own sampling rate (`Channel.rate`).

    Readers never resample: a 2 kHz EMG beside a 256 Hz EEG stays at 2 kHz, and whoever
    needs another rate (the model's front end) resamples that channel once, from its own
    rate. Time is in seconds: sample i of a channel lies at i / channel.rate, so epoch k
    of every channel covers the same seconds. `warnings` collects problems that do not
    stop scoring (no EMG, flat channel...).
    """

    channels: list[Channel]
    source: Path
    start_time: datetime | None = None
    warnings: list[str] = field(default_factory=list)
    chosen: dict[ChannelKind, str] = field(default_factory=dict)  # the channel a person named
    # for a role (--eeg/--emg, Scoring > Channels...): scored in that role, not the first one

    @property
    def reference(self) -> Channel:
        """The channel that `rate` and `n_samples` describe: the EEG, else the first one."""
        return self.eeg or self.channels[0]

    @property
    def rate(self) -> float:
        """The EEG's sampling rate (the first channel's without an EEG); other channels may
        have other rates, see each `Channel.rate`."""
        return self.reference.rate

    @property
    def n_samples(self) -> int:
        """Samples of the `reference` channel (at `rate`) within `duration_s`."""
        ref = self.reference
        return min(len(ref.data), int(np.floor(self.duration_s * ref.rate + 1e-6)))

    @property
    def duration_s(self) -> float:
        """Seconds that every channel covers (the shortest channel's duration)."""
        return min(c.duration_s for c in self.channels)

    def rates_text(self) -> str:
        """'512 Hz' when every channel has one rate, else each: 'EEG1 256 Hz, EMG 2000 Hz'."""
        rates = {c.rate for c in self.channels}
        if len(rates) == 1:
            return f"{rates.pop():g} Hz"
        return ", ".join(f"{c.name} {c.rate:g} Hz" for c in self.channels)

    def n_epochs(self, epoch_length: float = 1.0) -> int:
        """Whole epochs in the recording; a trailing partial epoch is not scored."""
        return int(self.duration_s // epoch_length)

    def of_kind(self, kind: ChannelKind) -> list[Channel]:
        return [c for c in self.channels if c.kind is kind]

    def scored(self, kind: ChannelKind) -> Channel | None:
        """The channel scored as `kind`: the one a person chose, else the first of that kind."""
        found = self.of_kind(kind)
        named = [c for c in found if c.name == self.chosen.get(kind)]
        return (named or found or [None])[0]

    @property
    def eeg(self) -> Channel | None:
        """The EEG channel used for scoring (the chosen one, else the first marked EEG)."""
        return self.scored(ChannelKind.EEG)

    @property
    def emg(self) -> Channel | None:
        return self.scored(ChannelKind.EMG)

    def channel(self, name: str) -> Channel:
        for c in self.channels:
            if c.name == name:
                return c
        raise KeyError(name)

    def role_notes(self) -> list[str]:
        """The warnings that follow from which channel is EEG and which EMG."""
        if self.eeg is None:
            names = ", ".join(f"{c.name} ({c.kind.value})" for c in self.channels)
            return [f"no channel is recognised as EEG (found {names}); choose which "
                    "channel is EEG and which EMG before scoring"]
        slow = [note for ch in (self.eeg, self.emg) if ch is not None
                for note in [rate_note(ch)] if note]
        many = [self._many_note(kind, found) for kind in (ChannelKind.EEG, ChannelKind.EMG)
                for found in [self.of_kind(kind)] if len(found) > 1]
        if self.emg is None:
            return [NO_EMG_NOTE, *self._renamed_notes(), *many, *slow]
        return [*self._renamed_notes(), *many, *slow]

    def _many_note(self, kind: ChannelKind, found: list[Channel]) -> str:
        listed = f"of {len(found)} {kind.value} channels ({', '.join(c.name for c in found)})"
        used = self.scored(kind)
        if self.chosen.get(kind) == used.name:
            return f"{kind.value} {used.name} is scored, as chosen, {listed}"
        flag = "--eeg" if kind is ChannelKind.EEG else "--emg"
        return (f"{kind.value} {used.name} is scored, the first {listed}; choose another with "
                f"Scoring > Channels... in the app or {flag} CHANNEL on the command line")

    def _renamed_notes(self) -> list[str]:
        """A chosen channel whose name says the other role (--eeg EMG) is said, never silent."""
        notes = []
        for kind, name in self.chosen.items():
            said = kind_from_name(name)
            if said in (ChannelKind.EEG, ChannelKind.EMG) and said is not kind:
                left = "" if self.scored(said) is not None else (
                    f"; no {said.value} channel is left" + (", so the recording is scored "
                                                            "EEG-only" if said is ChannelKind.EMG else ""))
                notes.append(f"channel {name} is scored as the {kind.value}, as chosen, though "
                             f"its name says {said.value}{left}")
        return notes

    def with_roles(self, roles: dict[str, ChannelKind]) -> Recording:
        """A copy whose channel kinds are overridden by name (the user knows best); kinds may
        be given as `ChannelKind` or its value ("EEG", "EMG", ...). A channel named for EEG or
        EMG is the one scored in that role (see `chosen_roles`); a role given takes the
        channel's other role away. Its role warnings are those of the new roles."""
        channels = [
            Channel(c.name, ChannelKind(roles.get(c.name, c.kind)), c.data, c.rate, c.unit,
                    c.missing)
            for c in self.channels
        ]
        stale = self.role_notes()
        out = Recording(channels, self.source, self.start_time,
                        [w for w in self.warnings if w not in stale], chosen_roles(roles))
        out.warnings += out.role_notes()
        return out


def chosen_roles(roles: dict[str, ChannelKind] | None) -> dict[ChannelKind, str]:
    """The channel a person named for EEG and for EMG (the first named, when several are)."""
    chosen: dict[ChannelKind, str] = {}
    for name, kind in (roles or {}).items():
        kind = ChannelKind(kind)
        if kind is not ChannelKind.OTHER:
            chosen.setdefault(kind, name)
    return chosen
