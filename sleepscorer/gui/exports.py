"""Exports of the open recording's labels and figures: label CSV, BIDS events, statistics
(and, through `write_result`, label_files.py's comparison). Every export is a copy; the dialogs
open where the last export went."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from sleepscorer.errors import SleepScorerError
from sleepscorer.gui import backend, dialogs


class ExportActions:
    """File > Export ... of `FileActions`, which it is mixed into: it uses that class's window
    `w`, open `session`, recording `path` and `_status`."""

    def save_name(self, title: str, suffix: str, filters: str) -> str:
        """The dialog opens where the last export went, else beside the recording."""
        base = self.path.stem if self.path else "labels"
        last = self.w.settings.export_folder
        folder = Path(last) if last and Path(last).is_dir() else (
            self.path.parent if self.path else Path(self.w.settings.last_folder))
        path, _ = QFileDialog.getSaveFileName(self.w, title, str(folder / f"{base}{suffix}"),
                                              filters)
        return path

    def export_csv(self, path: str | Path | None = None) -> bool:
        path = path or self.save_name("Export labels", "_labels.csv", "CSV (*.csv)")
        return bool(path) and self._export(backend.write_labels_csv, path,
                                           epoch_length=self.w.settings.export_epoch_length,
                                           signal=self.session.signal,
                                           record=self._record(self.w.settings.export_epoch_length))

    def _record(self, epoch_length: float) -> dict:
        """The export's provenance record (io.provenance.app_record)."""
        store = self.session.store
        return backend.app_record(hypnogram=self.session.hypnogram, epoch_length=epoch_length,
                                  models=store.meta.get("models", []) if store is not None else [],
                                  recording=self.path)

    def export_bids(self, path: str | Path | None = None) -> bool:
        path = path or self.save_name("Export BIDS events", "_events.tsv", "TSV (*.tsv)")
        return bool(path) and self._export(backend.write_bids_events, path,
                                           epoch_length=self.w.settings.export_epoch_length)

    def _export(self, writer, path, **kwargs) -> bool:
        try:
            notes = writer(hypnogram=self.session.hypnogram.snapshot(), path=Path(path), **kwargs)
        except (SleepScorerError, ValueError) as exc:
            dialogs.show_error(self.w, "Export failed", f"error: {exc}")
            return False
        except OSError as exc:  # the user's path and why, not a temporary file's
            dialogs.show_error(self.w, "Export failed", f"error: could not write {path} "
                               f"({exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''})")
            return False
        exported = self.session.mark_saved()  # a copy went out; the session is unchanged
        self._remember_folder(path)
        if self.session.store is not None:
            self.session.store.record_export(path, exported)
        self._status(f"exported a copy to {path}" + "".join(f"; note: {n}" for n in notes or []))
        return True

    def export_statistics(self, path: str | Path | None = None) -> bool:
        if self.session is None:
            return False
        path = path or self.save_name("Export statistics", "_statistics.csv",
                                       "CSV (*.csv);;JSON (*.json)")
        return bool(path) and self.write_result(  # the figures as shown
            lambda: backend.write_statistics(stats=self.w.statistics.compute(), path=path), path)

    def write_result(self, write: Callable[[], object], path: str | Path) -> bool:
        """Run `write` (figures into `path`, not labels: the session is not marked exported);
        a problem is shown, never raised."""
        try:
            write()
        except (SleepScorerError, OSError) as exc:
            dialogs.show_error(self.w, "Export failed", f"error: {exc}")
            return False
        self._remember_folder(path)
        self._status(f"saved {path}")
        return True

    def _remember_folder(self, path: str | Path) -> None:
        """The next export dialog opens where this export went (kept between runs)."""
        self.w.settings.export_folder = str(Path(path).resolve().parent)
