"""Preferences that persist between sessions (QSettings, INI format).

Epoch length for scoring and for export, the low-confidence threshold, the stage set and
colours, the active model, the last folder and recent files. Tests redirect the location with `QSettings.setPath(IniFormat, UserScope, tmp)`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from sleepscorer.stages import STAGE_COLORS, Stage

ORGANISATION = "SleepScorer"
APPLICATION = "SleepScorer"
MAX_RECENT = 10
DEFAULT_STAGES = (Stage.WAKE, Stage.NREM, Stage.REM, Stage.MA, Stage.ARTIFACT)
CORE_STAGES = (Stage.WAKE, Stage.NREM, Stage.REM)  # always in use
OPTIONAL_STAGES = (Stage.MA, Stage.ARTIFACT)  # a lab may switch these off


class Settings:
    """Typed access to the app's QSettings."""

    def __init__(self, qsettings: QSettings | None = None):
        self.q = qsettings or QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                        ORGANISATION, APPLICATION)

    def _bool(self, key: str, default: bool = False) -> bool:
        """QSettings gives back 'true'/'false' strings from an INI file."""
        return str(self.q.value(key, default)).lower() in ("true", "1")

    def _float(self, key: str, default: float) -> float:
        try:
            return float(self.q.value(key, default))
        except (TypeError, ValueError):
            return default

    # -- epochs -----------------------------------------------------------------------
    @property
    def epoch_length(self) -> float:
        """Seconds per scored epoch in the app."""
        return self._float("scoring/epoch_length", 1.0)

    @epoch_length.setter
    def epoch_length(self, value: float) -> None:
        self.q.setValue("scoring/epoch_length", float(value))

    @property
    def export_epoch_length(self) -> float:
        """Seconds per epoch in exported label files (a multiple of the scoring epoch)."""
        return self._float("export/epoch_length", self.epoch_length)

    @export_epoch_length.setter
    def export_epoch_length(self, value: float) -> None:
        self.q.setValue("export/epoch_length", float(value))

    @property
    def window_s(self) -> float:
        return self._float("view/window_s", 30.0)

    @window_s.setter
    def window_s(self, value: float) -> None:
        self.q.setValue("view/window_s", float(value))

    @property
    def low_confidence(self) -> float:
        """Model labels below this confidence are 'low confidence' (N jumps to them)."""
        return min(0.99, max(0.0, self._float("scoring/low_confidence", 0.6)))

    @low_confidence.setter
    def low_confidence(self, value: float) -> None:
        self.q.setValue("scoring/low_confidence", float(value))

    @property
    def rem_from_wake(self) -> bool:
        """Keep REM that no NREM precedes (narcolepsy models); off: such REM is scored Wake."""
        return self._bool("scoring/rem_from_wake")

    @rem_from_wake.setter
    def rem_from_wake(self, value: bool) -> None:
        self.q.setValue("scoring/rem_from_wake", bool(value))

    @property
    def rem_keeps_tone(self) -> bool:
        """REM may keep muscle tone (REM sleep behaviour disorder models): the model's EMG
        rules (atonia is REM, tone is Wake) are off."""
        return self._bool("scoring/rem_keeps_tone")

    @rem_keeps_tone.setter
    def rem_keeps_tone(self, value: bool) -> None:
        self.q.setValue("scoring/rem_keeps_tone", bool(value))

    @property
    def ignore_lab_gate(self) -> bool:
        """Score every recording with a fine-tuned model, also those unlike its lab."""
        return self._bool("scoring/ignore_lab_gate")

    @ignore_lab_gate.setter
    def ignore_lab_gate(self, value: bool) -> None:
        self.q.setValue("scoring/ignore_lab_gate", bool(value))

    @property
    def active_model(self) -> str | None:
        """Path of the model that scores (None: the bundled one)."""
        value = self.q.value("model/active", None)
        return str(value) if value else None

    @active_model.setter
    def active_model(self, path: str | Path | None) -> None:
        if path:
            self.q.setValue("model/active", str(path))
        else:
            self.q.remove("model/active")

    # -- stages -----------------------------------------------------------------------
    @property
    def stages(self) -> tuple[Stage, ...]:
        raw = self.q.value("stages/enabled", None)
        if not raw:
            return DEFAULT_STAGES
        names = [raw] if isinstance(raw, str) else list(raw)
        try:
            chosen = {Stage.from_name(n) for n in names}
        except ValueError:
            return DEFAULT_STAGES
        return tuple(s for s in DEFAULT_STAGES if s in chosen or s in CORE_STAGES)

    @stages.setter
    def stages(self, value: tuple[Stage, ...]) -> None:
        chosen = set(value) | set(CORE_STAGES)
        self.q.setValue("stages/enabled", [s.label for s in DEFAULT_STAGES if s in chosen])

    @property
    def colours(self) -> dict[Stage, str]:
        out = dict(STAGE_COLORS)
        for stage in Stage:
            value = self.q.value(f"colours/{stage.name}", None)
            if isinstance(value, str) and value.startswith("#") and len(value) == 7:
                out[stage] = value
        return out

    def set_colour(self, stage: Stage, colour: str) -> None:
        self.q.setValue(f"colours/{stage.name}", colour)

    def reset_colours(self) -> None:
        """Back to the colour-blind-safe (Okabe-Ito) defaults."""
        self.q.remove("colours")

    # -- files ------------------------------------------------------------------------
    @property
    def last_folder(self) -> str:
        return str(self.q.value("files/last_folder", str(Path.home())))

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self.q.setValue("files/last_folder", str(value))

    @property
    def export_folder(self) -> str:
        """Where the last export went ("" before any): labs keep labels apart from data."""
        return str(self.q.value("files/export_folder", ""))

    @export_folder.setter
    def export_folder(self, value: str) -> None:
        self.q.setValue("files/export_folder", str(value))

    @property
    def recent_files(self) -> list[str]:
        raw = self.q.value("files/recent", [])
        if isinstance(raw, str):
            raw = [raw]
        return [str(p) for p in (raw or [])]

    def add_recent(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        recent = [p for p in self.recent_files if p != path]
        self.q.setValue("files/recent", [path, *recent][:MAX_RECENT])
        self.last_folder = str(Path(path).parent)

    def sync(self) -> None:
        self.q.sync()
