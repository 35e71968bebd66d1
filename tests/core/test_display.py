import time

import numpy as np

from sleepscorer.core.display import MinMaxPyramid, epoch_spectrogram, stage_palette, stage_rgba
from sleepscorer.core.stages import Stage


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
    assert y.max() == data[100_000:600_000].max()
    assert y.min() == data[99_000:601_000].min() or y.min() <= data[100_000:600_000].min()


def test_pyramid_is_fast_on_a_day_at_512_hz():
    data = np.random.default_rng(2).normal(size=512 * 3600 * 24).astype(np.float32)
    t = time.perf_counter()
    pyr = MinMaxPyramid(data, rate=512.0)
    build = time.perf_counter() - t
    t = time.perf_counter()
    for t0 in range(0, 80_000, 8000):
        pyr.segment(t0, t0 + 6 * 3600, 1500)
    per_view = (time.perf_counter() - t) / 10
    assert build < 5.0
    assert per_view < 0.02


def test_spectrogram_finds_the_sine():
    rate = 256.0
    t = np.arange(int(rate * 20)) / rate
    data = np.sin(2 * np.pi * 7 * t).astype(np.float32)
    freqs, power = epoch_spectrogram(data, rate, epoch_length=2.0, fmax=30)
    assert power.shape == (10, len(freqs)) and freqs[-1] <= 30
    assert abs(freqs[np.argmax(power[3])] - 7) < 1


def test_stage_rgba_solid_for_person_pale_for_model():
    lut = stage_palette()
    stages = np.array([Stage.WAKE, Stage.WAKE, Stage.UNSCORED], np.int8)
    rgba = stage_rgba(stages, np.array([True, False, False]), lut)
    assert tuple(rgba[0, :3]) == (0xE6, 0x9F, 0x00)
    assert rgba[1, 0] > rgba[0, 0] - 1 and rgba[1, 2] > rgba[0, 2]
    assert rgba[2, 3] == 0
