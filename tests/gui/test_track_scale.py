"""Trace amplitude is on one scale for the whole recording: scorers judge atonia and delta
against a fixed scale, so scrolling never rescales a track; only the person does (Ctrl+wheel
over a track, or its right-click menu)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import RATE, open_and_score


def _atonia_then_wake(path):
    """5 min: EMG at 10 µV (REM atonia) for 150 s, then 300 µV (waking tone)."""
    import edfio

    n = int(RATE * 300)
    t = np.arange(n) / RATE
    rng = np.random.default_rng(0)
    eeg = 50 * np.sin(2 * np.pi * 2 * t) + 10 * rng.normal(size=n)
    emg = np.where(t < 150, 10.0, 300.0) * rng.normal(size=n)
    edfio.Edf([edfio.EdfSignal(eeg, RATE, label="EEG1", physical_dimension="uV",
                               physical_range=(-500, 500)),
               edfio.EdfSignal(np.clip(emg, -2000, 2000), RATE, label="EMG1",
                               physical_dimension="uV", physical_range=(-2000, 2000))]).write(path)
    return path


def _y_range(plot) -> tuple[float, float]:
    return tuple(float(v) for v in plot.vb.viewRange()[1])


def _ctrl_wheel(tv, plot, steps: int) -> None:
    """A real Ctrl+wheel over the track, through the view's viewport."""
    centre = tv.mapFromScene(plot.vb.sceneBoundingRect().center())
    event = QWheelEvent(QPointF(centre), QPointF(tv.viewport().mapToGlobal(centre)), QPoint(),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(tv.viewport(), event)


def test_emg_scale_is_fixed_from_atonia_to_wake_and_set_by_hand(qtbot, window, tmp_path):
    """A user trial: the EMG axis was ±50 µV in a REM window and about ±1 mV in a Wake
    window, so atonia filled the track as much as waking tone did."""
    window.resize(1400, 900)
    open_and_score(qtbot, window, _atonia_then_wake(tmp_path / "rem_wake.edf"))
    tv = window.trace_view
    plot = tv.trace_plots["EMG1"]
    tv.set_x_range(100, 130)  # atonia
    atonia = _y_range(plot)
    tv.set_x_range(200, 230)  # waking tone
    assert _y_range(plot) == atonia  # the same scale
    lo, hi = atonia
    assert hi > 300 and lo < -300 and hi - lo < 4000  # waking tone fits ...
    emg = np.asarray(tv.curves["EMG1"].yData)
    assert np.percentile(np.abs(emg), 99) > 0.3 * hi  # ... and fills the track
    tv.set_x_range(100, 130)
    emg = np.asarray(tv.curves["EMG1"].yData)
    assert np.percentile(np.abs(emg), 99) < 0.15 * hi  # atonia looks small beside it
    assert (plot.band.y, plot.band.y + plot.band.height) == atonia  # stage colours fill it

    _ctrl_wheel(tv, plot, 2)  # traces larger: the range narrows about its centre
    zoomed = _y_range(plot)
    assert np.isclose(zoomed[1] - zoomed[0], (hi - lo) / 1.25 ** 2)
    for t0 in (200, 20, 250):  # and holds while scrolling
        tv.set_x_range(t0, t0 + 30)
        assert _y_range(plot) == zoomed
    assert _y_range(tv.trace_plots["EEG1"]) != zoomed  # one track's scale, not all

    centre = tv.mapFromScene(plot.vb.sceneBoundingRect().center())
    qtbot.mouseClick(tv.viewport(), Qt.MouseButton.RightButton, pos=centre)  # its menu
    qtbot.waitUntil(lambda: tv.scales.menu is not None and tv.scales.menu.isVisible())
    menu = tv.scales.menu
    assert "EMG1: scale x1.56" in menu.actions()[0].text()  # 1.25 ** 2 of the recording's
    menu.close()
    actions = {a.text(): a for a in menu.actions()}
    tv.set_x_range(100, 130)
    actions["Fit to this window"].trigger()
    fitted = _y_range(plot)
    assert fitted[1] - fitted[0] < 0.2 * (hi - lo)  # atonia magnified on request
    tv.set_x_range(200, 230)
    assert _y_range(plot) == fitted
    tv.scales.menu_for("EMG1")
    {a.text(): a for a in tv.scales.menu.actions()}["Reset to the recording's scale"].trigger()
    assert _y_range(plot) == atonia
