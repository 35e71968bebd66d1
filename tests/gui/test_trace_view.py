"""The scoring view: traces scaled to the recording's amplitude, the spectrogram on the time
axis."""

from __future__ import annotations

import numpy as np

from tests.gui.conftest import open_and_score


def test_traces_fit_the_recordings_amplitude(qtbot, window, recording_path):
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


def test_a_trigger_in_volts_is_shown_in_volts(qtbot, window, tmp_path):
    """A user trial: a simulated TTL trigger (4.6 V, stored as V in the EDF, read into µV like
    every voltage) was drawn with ticks of 1e+06 and 3e+06 and no unit."""
    import edfio

    from tests.gui.conftest import RATE

    n = int(RATE * 120)
    t = np.arange(n) / RATE
    rng = np.random.default_rng(0)
    trigger = np.where((t % 10) < 0.5, 4.59, 0.07)
    signals = [edfio.EdfSignal(50 * np.sin(2 * np.pi * 2 * t) + 10 * rng.normal(size=n), RATE,
                               label="EEG1", physical_dimension="uV", physical_range=(-500, 500)),
               edfio.EdfSignal(10 * rng.normal(size=n), RATE, label="EMG1",
                               physical_dimension="uV", physical_range=(-500, 500)),
               edfio.EdfSignal(trigger, RATE, label="Trigger", physical_dimension="V",
                               physical_range=(-5, 5))]
    path = tmp_path / "stim.edf"
    edfio.Edf(signals).write(path)
    open_and_score(qtbot, window, path)
    axis = window.trace_view.trace_plots["Trigger"].getAxis("left")
    assert "(V)" in axis.toolTip()
    shown = [axis.scale * v for v in (0.07e6, 4.59e6)]  # µV as read -> the axis's numbers
    assert np.allclose(shown, [0.07, 4.59], rtol=1e-3)
    # what is drawn: two ticks within the trigger's range, labelled in volts with the unit
    # (the title "Trigger" has no room for it), not 1e+06 and 3e+06
    ticks = axis._tickLevels[0]
    assert len(ticks) == 2
    for position, text in ticks:
        assert text.endswith(" V"), text
        number = float(text.removesuffix(" V"))
        assert -0.5 <= number <= 5 and np.isclose(number, position * axis.scale)
    window.grab().save(str(tmp_path / "trigger.png"))
