"""The main window: wires the views, the session, the workers and the file actions.

Logic lives elsewhere: navigation and labelling in session.py, drawing in the view files,
background work in workers.py, recordings and exports in file_actions.py, label files brought
in (import, comparison) in label_files.py, the menu commands and their keys in menus.py,
the video beside the recording in video_sync.py, science in the core (through backend.py).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QInputDialog,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sleepscorer.gui import backend
from sleepscorer.gui.chrome import scrolling, titled
from sleepscorer.gui.elided_text import ElidedLabel, ElidingStatusBar, elide_combo_text
from sleepscorer.gui.file_actions import FileActions
from sleepscorer.gui.legend import StageLegend
from sleepscorer.gui.menus import build_menus
from sleepscorer.gui.model_actions import ModelActions
from sleepscorer.gui.model_panel import ModelPanel
from sleepscorer.gui.overview import OverviewBar
from sleepscorer.gui.settings import Settings
from sleepscorer.gui.statistics_panel import StatisticsPanel
from sleepscorer.gui.task_bar import TaskBar
from sleepscorer.gui.time_axis import parse_time
from sleepscorer.gui.trace_view import TraceView
from sleepscorer.gui.video_sync import VideoSync
from sleepscorer.gui.warnings_panel import WarningsPanel
from sleepscorer.stages import Stage

WINDOW_PRESETS = (("4 s", 4.0), ("10 s", 10.0), ("30 s", 30.0), ("1 min", 60.0),
                  ("5 min", 300.0), ("30 min", 1800.0), ("1 h", 3600.0), ("whole", 0.0))


def format_window(seconds: float) -> str:
    """A window length for the toolbar box: 45 s, 2.5 min, 1.2 h."""
    if seconds < 60:
        return f"{seconds:.3g} s"
    if seconds < 3600:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None):
        super().__init__()
        self.settings = settings or Settings()
        self.session = None
        self.comparison = None  # (Hypnogram, name) of a second labels file
        self.setWindowTitle("SleepScorer")
        self.resize(1500, 950)
        self.setAcceptDrops(True)
        self.trace_view = TraceView()
        self.trace_view.set_palette(self.settings.colours)
        self.overview = OverviewBar()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.trace_view, 1)
        layout.addWidget(self.overview)
        self.setCentralWidget(central)
        self.statistics = StatisticsPanel()
        self.statistics.set_colours(self.settings.colours)
        self.model_panel = ModelPanel()
        # cut in the middle: the start says bundled or fine-tuned, the end the name's last words
        elide_combo_text(self.model_panel.models, Qt.TextElideMode.ElideMiddle)
        self.warnings = WarningsPanel()
        self.video = VideoSync(self)  # its dock first: the top of the right column when shown
        docks = [self._dock("Statistics", scrolling(self.statistics), Qt.DockWidgetArea.RightDockWidgetArea),
                 # not in a scroll area: the card scrolls inside the panel, so the Re-score
                 # button below it stays in view however short the dock
                 self._dock("Automatic scoring", self.model_panel,
                            Qt.DockWidgetArea.RightDockWidgetArea)]
        self.warnings_dock = self._dock("Warnings", self.warnings,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.warnings_dock.hide()  # shown when there is something to say
        self.resizeDocks(docks, [360, 360], Qt.Orientation.Horizontal)
        self.resizeDocks(docks, [520, 380], Qt.Orientation.Vertical)  # room for the card
        self.task_bar = TaskBar()
        self.position = QLabel("drop a recording (file or folder) here, or File > Open")
        self.position.setMinimumWidth(340)  # room for "epoch N  h:mm:ss  stage (source, ...)"
        self.position.setStyleSheet("QLabel { border-left: 1px solid palette(mid); "
                                    "padding-left: 6px; }")  # apart from a long message
        self.model_info = ElidedLabel("", mode=Qt.TextElideMode.ElideMiddle)  # "(fine-tuned)"
        self.model_info.setMaximumWidth(360)
        self.warning_count = QPushButton("")
        self.warning_count.setFlat(True)
        self.warning_count.hide()
        self.warning_count.clicked.connect(self.warnings_dock.show)
        self.warnings.countChanged.connect(self._warnings_counted)
        # permanent: a passing message (left) never hides where the selection is
        self.setStatusBar(ElidingStatusBar(
            permanent=(self.position, self.warning_count, self.task_bar, self.model_info)))
        self.files = FileActions(self)
        self.models = ModelActions(self)
        self.recent_menu, self.label_actions = build_menus(self)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._build_toolbar()
        self._connect_views()

    def _dock(self, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    # -- toolbar ----------------------------------------------------------------------
    def _build_toolbar(self) -> None:
        """The window-length box and the stage legend (the menus are in menus.py)."""
        bar = self.addToolBar("Main")
        bar.setObjectName("main toolbar")
        bar.addWidget(QLabel(" window "))
        self.window_combo = QComboBox()
        for text, seconds in WINDOW_PRESETS:
            self.window_combo.addItem(text, seconds)
        self.window_combo.setCurrentIndex(self._preset_index(self.settings.window_s))
        self.window_combo.activated.connect(self._preset_chosen)
        self.window_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bar.addWidget(self.window_combo)
        bar.addSeparator()
        self.legend = StageLegend(self.settings.colours, self.settings.stages)
        bar.addWidget(self.legend)
        self._show_stages_in_use()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_files:
            self.recent_menu.addAction(path, lambda p=path: self.files.open_path(p))
        if not self.settings.recent_files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _connect_views(self) -> None:
        tv = self.trace_view
        tv.clicked.connect(lambda x, shift: self.session and self.session.click(x, shift))
        tv.doubleClicked.connect(lambda x: self.session and self.session.select_bout(x))
        tv.dragSelected.connect(lambda a, b, _done: self.session and self.session.drag(a, b))
        tv.rangeChanged.connect(self.overview.show_window)
        tv.rangeChanged.connect(self._show_window_length)
        self.overview.jumpRequested.connect(self._jump)
        self.overview.windowMoved.connect(lambda a, b: tv.set_x_range(a, b))
        self.statistics.exportRequested.connect(self.files.export_statistics)
        self.model_panel.scoreRequested.connect(self.files.score_again)
        self.models.connect_panel(self.model_panel)
        self._pos_timer = QTimer(self, singleShot=True, interval=50)
        self._pos_timer.timeout.connect(self._show_position)

    # -- session ----------------------------------------------------------------------
    def set_session(self, session, loaded) -> None:
        """Show a freshly opened recording (called by FileActions)."""
        self.video.recording_opened(session)
        if self.session is not None:
            self.session.close()
        self.session = session
        self.comparison = None
        self.statistics.set_comparison(None)
        hyp = session.hypnogram
        self.trace_view.set_recording(loaded, hyp)
        self.statistics.set_stages(self.settings.stages)
        self.statistics.set_stimulation(loaded.stimulation)
        self.statistics.set_hypnogram(hyp, loaded.recording.start_time, loaded.spectrogram)
        self.trace_view.confidence.set_threshold(session.low_confidence)
        self.overview.set_labels(self.trace_view.rgba, hyp.epoch_length,
                                 loaded.recording.duration_s)
        self.overview.set_marks(None, hyp.epoch_length)
        session.labelsChanged.connect(self._labels_changed)
        session.selectionChanged.connect(self._selection_changed)
        session.centreRequested.connect(self.trace_view.centre_on)
        session.revealRequested.connect(self._reveal)
        session.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        title = partial(titled, self, loaded.recording.source.name)  # words: a "*" read unsaved
        title(session.dirty)
        session.dirtyChanged.connect(title)
        self._apply_window(self.settings.window_s, centre=0.0)  # the user's length, not the empty plot's
        session.select(0)

    # -- a second scoring ----------------------------------------------------------------
    def set_comparison(self, other, name: str) -> None:
        """Show a second labels file as a band with its disagreements (D jumps to them)."""
        self.comparison = (other, name)
        disagree = self._disagreements()
        self.trace_view.set_comparison(other, name, disagree)
        self.overview.set_marks(disagree, self.session.hypnogram.epoch_length)
        self.statistics.set_comparison(other, name)

    def _disagreements(self):
        other, _ = self.comparison
        return backend.disagreements(a=self.session.hypnogram, b=other)

    def next_disagreement(self, backward: bool = False) -> None:
        if self.comparison is None:
            self.statusBar().showMessage("no second labels to compare with (File > Compare "
                                         "with labels)", 5000)
            return
        self.session.next_in(self._disagreements(), "disagreements", backward,
                             none="no epoch disagrees with the comparison")

    def _warnings_counted(self, n: int) -> None:
        self.warning_count.setText(f"{n} warning{'s' if n != 1 else ''}")
        self.warning_count.setVisible(n > 0)
        if not n:  # an empty list says nothing: the dock goes until there is something
            self.warnings_dock.hide()
        elif not self.warnings_dock.isVisible():
            self.warnings_dock.show()
            self.resizeDocks([self.warnings_dock], [110], Qt.Orientation.Vertical)  # a few lines

    def _labels_changed(self, start: int, stop: int) -> None:
        hyp = self.session.hypnogram
        self.trace_view.update_labels(hyp, start, stop)
        self.overview.update_labels(self.trace_view.rgba[start:stop], start)
        self.statistics.schedule_refresh()
        if self.comparison is not None:
            disagree = self._disagreements()
            self.trace_view.set_disagreements(disagree)
            self.overview.set_marks(disagree, hyp.epoch_length)
        self._pos_timer.start()

    def _selection_changed(self, start: int, stop: int) -> None:
        self.trace_view.set_selection(start, stop)
        self._pos_timer.start()

    def _show_position(self) -> None:
        if self.session is not None:
            self.position.setText(self.session.position_text())

    # -- labelling and preferences -----------------------------------------------------
    def label(self, stage: Stage) -> None:
        """A stage key: stages switched off in Preferences are ignored, and so is a selection
        panned out of view (it would label unseen epochs). It clears earlier actions' messages."""
        self.statusBar().clearMessage()
        if stage != Stage.UNSCORED and stage not in self.settings.stages:
            self.statusBar().showMessage(f"{stage.label} is not in use (Edit > Preferences)",
                                         4000)
            return
        s = self.session
        if s is None:
            return
        t0, t1 = self.trace_view.x_range()
        if s.stop * s.epoch_length <= t0 or s.start * s.epoch_length >= t1:
            self.statusBar().showMessage(
                f"the selection (epochs {s.start}-{s.stop - 1}) is out of view, so nothing was "
                "labelled: click an epoch in view, or press Left or Right to go back to it", 8000)
            return
        s.label(stage)

    def _jump(self, seconds: float) -> None:
        """A click on the overview: that epoch is selected and centred, so the next key labels
        what is then on screen."""
        if self.session is not None:
            self.session.go_to(seconds)

    def _show_stages_in_use(self) -> None:
        """A stage not in use stays in the menu, marked, so its key still says why it does
        nothing (a hidden action's shortcut is dead, and the key was silently ignored)."""
        for stage, action in self.label_actions.items():
            in_use = stage == Stage.UNSCORED or stage in self.settings.stages
            action.setText(f"Label selection {stage.label}" + ("" if in_use else " (not in use)"))

    def preferences_dialog(self) -> None:
        from sleepscorer.gui.preferences_dialog import PreferencesDialog

        s = self.settings
        scoring = lambda: (s.rem_from_wake, s.rem_keeps_tone, s.ignore_lab_gate)  # noqa: E731
        before = scoring()
        if PreferencesDialog(self.settings, self).exec():
            self.apply_settings()
            if scoring() != before and self.session is not None:  # labels shown are unchanged
                self.statusBar().showMessage("scoring options changed: Ctrl+R re-scores this "
                                             "recording with them", 10000)

    def apply_settings(self) -> None:
        """Re-read colours, stages in use and the threshold from the settings."""
        colours, stages = self.settings.colours, self.settings.stages
        self.legend.set_stages(colours, stages)
        self._show_stages_in_use()
        self.trace_view.set_palette(colours)
        self.statistics.set_colours(colours)
        self.statistics.set_stages(stages)
        if self.session is not None:
            self.session.low_confidence = self.settings.low_confidence
            self.trace_view.set_hypnogram(self.session.hypnogram)
            self.overview.update_labels(self.trace_view.rgba, 0)
        if self.trace_view.confidence is not None:
            self.trace_view.confidence.set_threshold(self.settings.low_confidence)

    # -- view -------------------------------------------------------------------------
    def page(self, direction: int) -> None:
        """PageDown / PageUp: the view moves by its width and its first epoch is selected."""
        if self.session is not None:
            self.trace_view.set_x_range(*self.session.page(direction, self.trace_view.x_range()))

    def window_s(self) -> float:
        t0, t1 = self.trace_view.x_range()
        return t1 - t0

    def _preset_index(self, seconds: float) -> int:
        values = [v for _, v in WINDOW_PRESETS]
        return values.index(seconds) if seconds in values else 2

    def _preset_chosen(self, index: int) -> None:
        seconds = self.window_combo.itemData(index)
        self.settings.window_s = seconds
        self._apply_window(seconds)

    def _apply_window(self, seconds: float, centre: float | None = None) -> None:
        if self.session is None:
            return
        duration = self.trace_view.duration
        if not seconds or seconds >= duration:
            self.trace_view.set_x_range(0, duration)
            return
        if centre is None:
            s = self.session
            centre = (s.start + s.stop) / 2 * s.epoch_length
        t0 = min(max(0.0, centre - seconds / 2), max(0.0, duration - seconds))
        self.trace_view.set_x_range(t0, t0 + seconds)

    def _reveal(self, a: float, b: float) -> None:
        """Bring [a, b] into view only if it is not already visible: labelling advances the
        selection without moving what is under the user's hand."""
        t0, t1 = self.trace_view.x_range()
        if a >= t0 - 1e-9 and b <= t1 + 1e-9:
            return
        width = t1 - t0
        start = a - 0.05 * width if b > t1 else b - 0.95 * width
        start = min(max(0.0, start), max(0.0, self.trace_view.duration - width))
        self.trace_view.set_x_range(start, start + width)

    def _show_window_length(self, t0: float, t1: float) -> None:
        """The window box follows zoom: the preset when one matches, else the length."""
        width = t1 - t0
        combo = self.window_combo
        duration = self.trace_view.duration
        for i, (_, seconds) in enumerate(WINDOW_PRESETS):
            value = seconds or duration
            if value and abs(width - value) <= 0.01 * value:
                if combo.count() > len(WINDOW_PRESETS):
                    combo.removeItem(len(WINDOW_PRESETS))
                combo.setCurrentIndex(i)
                return
        text = format_window(width)
        if combo.count() == len(WINDOW_PRESETS):
            combo.addItem(text, width)
        combo.setItemText(len(WINDOW_PRESETS), text)
        combo.setItemData(len(WINDOW_PRESETS), width)
        combo.setCurrentIndex(len(WINDOW_PRESETS))

    def zoom(self, factor: float) -> None:
        t0, t1 = self.trace_view.x_range()
        centre, half = (t0 + t1) / 2, (t1 - t0) * factor / 2
        self.trace_view.set_x_range(centre - half, centre + half)

    def go_to_dialog(self) -> None:
        if self.session is None:
            return
        text, ok = QInputDialog.getText(self, "Go to time", "time (hh:mm:ss or seconds):")
        if not ok:
            return
        try:
            seconds = parse_time(text)
        except ValueError as exc:
            self.statusBar().showMessage(f"cannot go to {text!r}: {exc}", 5000)
            return
        self.statusBar().clearMessage()  # an earlier failure's message is no longer true
        self.session.go_to(seconds)

    # -- Qt events --------------------------------------------------------------------
    def dragEnterEvent(self, event):  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event):  # noqa: N802
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            (self.video if self.video.takes(paths[0]) else self.files).dropped(paths[0])

    def closeEvent(self, event):  # noqa: N802
        if self.files.may_close():
            self.files.shutdown()
            event.accept()
        else:
            event.ignore()
