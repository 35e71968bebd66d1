import numpy as np

from sleepscorer.core.display import (
    BASE_BLOCK,
    LEVEL_FACTOR,
    MinMaxPyramid,
    robust_span,
    spectrogram,
    stage_palette,
    stage_rgba,
)
from sleepscorer.stages import Stage


def test_segment_keeps_every_extreme():
    rng = np.random.default_rng(0)
    data = rng.normal(size=200_000).astype(np.float32)
    data[123_457] = 50.0
    data[7] = -40.0
    pyr = MinMaxPyramid(data, rate=100.0)
    x, y = pyr.segment(0, 2000, 1000)
    assert len(y) <= 4 * 1000 + 4
    assert y.max() == 50.0 and y.min() == -40.0
    assert np.all(np.diff(x) >= 0)


def test_segment_zoomed_in_returns_raw_samples():
    data = np.arange(10_000, dtype=np.float32)
    pyr = MinMaxPyramid(data, rate=10.0)
    x, y = pyr.segment(100.0, 110.0, 800)
    assert np.array_equal(y, data[int(x[0] * 10): int(x[-1] * 10) + 1])


def test_segment_matches_brute_force_envelope():
    rng = np.random.default_rng(1)
    data = rng.normal(size=1_000_000).astype(np.float32)
    pyr = MinMaxPyramid(data, rate=1000.0)
    x, y = pyr.segment(100.0, 600.0, 500)
    # every extreme inside [100, 600] s is drawn; nothing from beyond one bucket (1 s) outside
    assert y.max() == data[100_000:600_000].max()
    assert data[99_000:601_000].min() <= y.min() <= data[100_000:600_000].min()
    assert data[100_000:600_000].max() <= y.max() <= data[99_000:601_000].max()


def test_pyramid_work_per_view_is_bounded_by_pixels_on_a_day_at_512_hz():
    """What makes views fast, without a clock (benchmarks/bench_gui.py times it): the pyramid
    is a fraction of the signal, each view reads only ~pixels blocks of the right level and
    returns ~2 points per pixel, all extremes kept."""
    data = np.random.default_rng(2).normal(size=512 * 3600 * 24).astype(np.float32)
    pyr = MinMaxPyramid(data, rate=512.0)
    stored = sum(len(level.mins) for level in pyr.levels)
    assert stored <= len(data) / BASE_BLOCK * LEVEL_FACTOR / (LEVEL_FACTOR - 1)
    for t0 in range(0, 80_000, 8000):
        x, y = pyr.segment(t0, t0 + 6 * 3600, 1500)
        assert len(y) <= 4 * 1500 + 4
        a, b = int(t0 * 512), min(len(data), int((t0 + 6 * 3600) * 512))
        assert y.max() >= data[a:b].max() and y.min() <= data[a:b].min()


def test_spectrogram_finds_the_sine():
    rate = 256.0
    t = np.arange(int(rate * 20)) / rate
    data = np.sin(2 * np.pi * 7 * t).astype(np.float32)
    spec = spectrogram(data, rate, fmax=30)
    assert spec.power.shape == (20, len(spec.freqs)) and spec.freqs[-1] <= 30
    assert spec.step_s == 1.0
    assert abs(spec.freqs[np.argmax(spec.power[10])] - 7) < 0.6


def test_spectrogram_shows_delta_theta_and_a_stim_line_as_bands():
    """NREM-like delta then REM-like theta, a 20 Hz line throughout: each is a band, and the
    colour levels come from the whole recording (no per-frequency normalisation)."""
    rate, n = 1000.0, 120
    t = np.arange(int(rate * n)) / rate
    rng = np.random.default_rng(3)
    delta = 4 * np.sin(2 * np.pi * 2 * t) * (t < 60)
    theta = 3 * np.sin(2 * np.pi * 7.5 * t) * (t >= 60)
    stim = 0.5 * np.sin(2 * np.pi * 20 * t)
    data = (delta + theta + stim + 0.2 * rng.normal(size=len(t))).astype(np.float32)
    spec = spectrogram(data, rate)
    f = spec.freqs

    def band(cols, lo, hi):
        return spec.power[cols][:, (f >= lo) & (f <= hi)].max(axis=1).mean()

    nrem, rem = slice(5, 55), slice(65, 115)
    assert band(nrem, 1.5, 2.5) > band(rem, 1.5, 2.5) + 10
    assert band(rem, 7, 8) > band(nrem, 7, 8) + 10
    assert band(slice(0, n), 19.5, 20.5) > band(slice(0, n), 12, 15) + 10  # the stim line
    lo, hi = spec.levels
    assert lo < np.median(spec.power) < hi <= spec.power.max()


def test_spectrogram_columns_line_up_with_seconds_at_any_rate():
    """Column k is centred on second k + 0.5, also when the rate is not a power of two."""
    for rate in (1000.0, 512.0, 250.0, 400.0):
        t = np.arange(int(rate * 60)) / rate
        burst = (t >= 30) & (t < 31)
        data = (np.sin(2 * np.pi * 7 * t) * burst).astype(np.float32)
        spec = spectrogram(data, rate)
        theta = spec.power[:, np.argmin(np.abs(spec.freqs - 7))]
        assert spec.power.shape[0] == 60 and np.argmax(theta) == 30, rate


def test_spectrogram_of_a_day_at_512_hz():
    """One column per second over 24 h (its speed is benchmarks/bench_gui.py's to time)."""
    data = np.random.default_rng(4).normal(size=512 * 3600 * 24).astype(np.float32)
    spec = spectrogram(data, 512.0)
    assert spec.power.shape[0] == 86400 and np.isfinite(spec.power).all()


def test_spectrogram_of_a_short_signal_is_empty_not_an_error():
    spec = spectrogram(np.zeros(100, np.float32), 512.0)
    assert spec.power.shape[0] == 0


def test_stage_rgba_solid_for_person_pale_for_model():
    lut = stage_palette()
    stages = np.array([Stage.WAKE, Stage.WAKE, Stage.UNSCORED], np.int8)
    rgba = stage_rgba(stages, np.array([True, False, False]), lut)
    assert tuple(rgba[0, :3]) == (0xE6, 0x9F, 0x00)
    assert rgba[1, 0] > rgba[0, 0] - 1 and rgba[1, 2] > rgba[0, 2]
    assert rgba[2, 3] == 0


def test_robust_span_ignores_a_rare_artefact():
    rng = np.random.default_rng(5)
    y = (20 + 10 * rng.normal(size=20_000)).astype(np.float32)
    lo, hi = robust_span(y)
    y[100:110] = 5000.0  # an artefact on 0.05 % of the samples
    lo2, hi2 = robust_span(y)
    assert abs(lo2 - lo) < 2 and abs(hi2 - hi) < 2
    assert lo < 20 - 25 and hi > 20 + 25 and hi - lo < 100  # fits the signal, not the spike
    assert robust_span(np.full(10, np.nan)) is None
    flat_lo, flat_hi = robust_span(np.zeros(10))
    assert flat_lo < 0 < flat_hi


def test_a_track_scale_stays_at_the_recordings_range_until_changed():
    """Atonia (10 µV) then waking tone (300 µV): one range for the whole recording, which
    fits the tone, computed once; zoom, fit and reset are the person's."""
    from sleepscorer.core.display import TrackScale

    rng = np.random.default_rng(0)
    emg = np.concatenate([10 * rng.normal(size=512 * 600), 300 * rng.normal(size=512 * 600)])
    pyramid = MinMaxPyramid(emg.astype(np.float32), 512.0)
    home = pyramid.robust_range()
    assert pyramid.robust_range() is home  # kept, not computed again
    assert home[0] < -700 and 700 < home[1] < 1500
    scale = TrackScale(home)
    assert scale.span == home and scale.gain == 1.0
    scale.zoom(2.0)
    assert np.isclose(scale.hi - scale.lo, (home[1] - home[0]) / 2) and np.isclose(scale.gain, 2)
    scale.fit(emg[:5120])
    assert scale.hi < 50 and scale.lo > -50  # fitted to atonia
    scale.fit(np.array([np.nan]))
    assert scale.hi < 50  # nothing finite: unchanged
    scale.reset()
    assert scale.span == home
