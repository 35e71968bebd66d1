"""The scoring view: traces scaled to what is visible, the spectrogram on the time axis."""

from __future__ import annotations

import numpy as np

from tests.gui.conftest import open_and_score


def test_traces_fit_the_visible_amplitude(qtbot, window, recording_path):
    session = open_and_score(qtbot, window, recording_path)
    tv = window.trace_view
    tv.set_x_range(0, 30)
    eeg = session.recording.eeg.data[: int(30 * session.recording.eeg.rate)]
    plot = tv.trace_plots[session.recording.eeg.name]
    (_, _), (lo, hi) = plot.vb.viewRange()
    amplitude = np.percentile(np.abs(eeg - np.median(eeg)), 99.5)
    assert hi > amplitude and -lo > amplitude * 0.9  # the trace fits ...
    assert hi - lo < 4 * amplitude  # ... and fills the track
    band = plot.band
    assert (band.y, band.y + band.height) == (lo, hi)  # stage colours still fill the track
    tv.set_x_range(0, 300)
    assert tv.curves[session.recording.eeg.name].envelope  # dense: the lighter envelope pen


def test_spectrogram_spans_the_recording(qtbot, window, recording_path):
    session = open_and_score(qtbot, window, recording_path)
    image = window.trace_view.spectrogram.image
    assert image.image.shape[1] == int(session.recording.duration_s)  # one column a second
    assert image.width() == int(session.recording.duration_s)
    rect = image.mapRectToParent(image.boundingRect())
    assert abs(rect.right() - session.recording.duration_s) < 1e-6
