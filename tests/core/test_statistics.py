import numpy as np
import pytest

from sleepscorer.core.statistics import compute_statistics, write_statistics_csv
from sleepscorer.errors import SleepScorerError
from sleepscorer.hypnogram import Hypnogram
from sleepscorer.stages import Stage

W, N, R, U = Stage.WAKE, Stage.NREM, Stage.REM, Stage.UNSCORED


def test_time_bouts_and_transitions():
    hyp = Hypnogram.from_arrays([W, W, N, N, N, R, W, U, U, N], epoch_length=4.0)
    st = compute_statistics(hyp)
    assert st.time_s[W] == 12.0 and st.time_s[N] == 16.0 and st.time_s[R] == 4.0
    assert st.unscored_s == 8.0 and st.total_s == 40.0
    assert st.bout_count[W] == 2 and st.bout_count[N] == 2
    assert st.mean_bout_s[N] == 8.0
    assert st.transition_count(W, N) == 1 and st.transition_count(N, R) == 1
    assert st.transition_count(R, W) == 1
    assert st.transitions.sum() == 3  # W->U and U->N are not transitions between states
    assert abs(sum(st.percent_of_scored.values()) - 100.0) < 1e-9


def test_all_unscored_gives_zeros(tmp_path):
    st = compute_statistics(Hypnogram(10))
    assert all(v == 0 for v in st.time_s.values()) and st.unscored_s == 10.0
    text = write_statistics_csv(st, tmp_path / "s.csv").read_text()
    assert text.startswith("state,time_s") and "Unscored,10" in text


def test_csv_rows(tmp_path):
    hyp = Hypnogram.from_arrays(np.array([W, N, N, R], np.int8))
    lines = write_statistics_csv(compute_statistics(hyp), tmp_path / "s.csv").read_text().splitlines()
    assert lines[1].startswith("Wake,1,")
    assert "NREM,2,50.00,1,2.00" in lines


def test_per_hour_light_dark_and_latencies():
    from datetime import datetime

    from sleepscorer.core.statistics import compute_statistics as stats_of

    stages = np.full(7200, W, np.int8)  # two hours of 1-s epochs from 18:30
    stages[600:630] = N  # 30 s of NREM: too short for sleep onset
    stages[1000:1200] = N  # sleep onset at 1000 s
    stages[1500:1560] = R  # REM 500 s after onset
    stages[5000:5400] = N  # in the dark phase (after 19:00)
    st = stats_of(Hypnogram.from_arrays(stages), start_time=datetime(2024, 3, 1, 18, 30))
    assert st.sleep_latency_s == 1000.0 and st.rem_latency_s == 500.0
    assert st.per_hour_s.shape == (2, len(st.states))
    i = st.states.index(N)
    assert st.per_hour_s[0, i] == 230.0 and st.per_hour_s[1, i] == 400.0
    assert st.hour_starts == ["2024-03-01 18:30", "2024-03-01 19:30"]
    assert st.light_s[N] == 230.0 and st.dark_s[N] == 400.0  # lights off at 19:00
    assert st.light_s[W] + st.dark_s[W] == st.time_s[W]
    plain = stats_of(Hypnogram.from_arrays(stages))
    assert plain.light_s is None and plain.hour_starts == ["+0 h", "+1 h"]


def test_an_epoch_across_lights_off_is_split_as_the_clock_hours_split_it():
    """10-s epochs from 18:45:03: the one at 18:59:53 is 7 s light and 3 s dark, in the light
    total as in the 18:45:03-19:00 bin (a trial found the two a second apart)."""
    from datetime import datetime

    stages = np.full(180, N, np.int8)  # 30 min of NREM
    st = compute_statistics(Hypnogram.from_arrays(stages, epoch_length=10.0),
                            start_time=datetime(2019, 11, 1, 18, 45, 3), clock_hours=True)
    i = st.states.index(N)
    assert st.per_hour_s[0, i] == 897.0 and st.light_s[N] == 897.0
    assert st.dark_s[N] == 903.0 and st.light_s[N] + st.dark_s[N] == st.time_s[N]


def test_state_spectra_and_exports(tmp_path):
    import json

    from sleepscorer.core.display import spectrogram
    from sleepscorer.core.statistics import statistics_dict, write_statistics

    rate = 128.0
    t = np.arange(int(rate * 600)) / rate
    stages = np.where((np.arange(600) // 60) % 2 == 0, W, N).astype(np.int8)
    on_second = np.repeat(stages, int(rate))
    eeg = np.where(on_second == N, 100 * np.sin(2 * np.pi * 2 * t),
                   20 * np.sin(2 * np.pi * 8 * t)) + np.random.default_rng(0).normal(size=len(t))
    spec = spectrogram(eeg.astype(np.float32), rate)
    st = compute_statistics(Hypnogram.from_arrays(stages), spectrogram=spec)
    sp = st.spectra
    f2, f8 = np.argmin(abs(sp.freqs - 2)), np.argmin(abs(sp.freqs - 8))
    assert sp.mean_db[N][f2] > sp.mean_db[W][f2] + 10  # delta in NREM
    assert sp.mean_db[W][f8] > sp.mean_db[N][f8] + 10  # theta-band line in Wake
    assert sp.n_epochs[N] + sp.n_epochs[W] == len(spec.power) and np.isnan(sp.mean_db[R]).all()
    data = json.loads(write_statistics(st, tmp_path / "s.json").read_text())
    assert data == json.loads(json.dumps(statistics_dict(st)))
    assert len(data["spectra_db"]["freqs_hz"]) == len(data["spectra_db"]["NREM"]["mean"])
    victim = tmp_path / "mouse1.edf"  # an export named after the recording replaced it
    victim.write_bytes(b"EDF bytes")
    with pytest.raises(SleepScorerError, match="written as .csv or .json"):
        write_statistics(st, victim)
    assert victim.read_bytes() == b"EDF bytes"
    text = write_statistics(st, tmp_path / "s.csv").read_text()
    assert "freq_hz,Wake_mean_db" in text and "latency,seconds" in text


def test_per_hour_bins_say_their_alignment_and_real_length(tmp_path):
    """A user trial: bins ran from the recording's start (18:30-19:30 ...) and the export
    did not say so; on clock hours the first and last bins are partial, with their length."""
    from datetime import datetime

    stages = np.full(7200, W, np.int8)  # two hours of 1-s epochs from 18:30
    stages[1000:1200] = N
    stages[5000:5400] = N
    start = datetime(2024, 3, 1, 18, 30)
    plain = compute_statistics(Hypnogram.from_arrays(stages), start_time=start)
    assert plain.hours_aligned_to == "recording start" and plain.hour_lengths_s == [3600, 3600]
    st = compute_statistics(Hypnogram.from_arrays(stages), start_time=start, clock_hours=True)
    assert st.hours_aligned_to == "clock hours"
    assert st.hour_starts == ["2024-03-01 18:30", "2024-03-01 19:00", "2024-03-01 20:00"]
    assert st.hour_offsets_s == [0, 1800, 5400] and st.hour_lengths_s == [1800, 3600, 1800]
    assert st.per_hour_s[:, st.states.index(N)].tolist() == [200, 400, 0]
    assert st.per_hour_text() == "3 bins on clock hours (first 30.0 min, last 30.0 min)"
    lines = write_statistics_csv(st, tmp_path / "s.csv").read_text().splitlines()
    at = lines.index("per hour,bins aligned to clock hours")
    assert lines[at + 1].startswith("hour_from_recording_start,clock_time,length_s,Wake_s")
    assert lines[at + 2:at + 5] == ["0,2024-03-01 18:30,1800,1600,200,0,0,0",
                                    "0.5,2024-03-01 19:00,3600,3200,400,0,0,0",
                                    "1.5,2024-03-01 20:00,1800,1800,0,0,0,0"]
    text = write_statistics_csv(plain, tmp_path / "p.csv").read_text()
    assert "per hour,bins aligned to recording start\n" in text
    with pytest.raises(SleepScorerError, match="need the recording's start time"):
        compute_statistics(Hypnogram.from_arrays(stages), clock_hours=True)


def test_an_epoch_across_a_clock_hour_is_split_between_the_bins():
    from datetime import datetime

    hyp = Hypnogram.from_arrays(np.repeat([N, W], 1000).astype(np.int8), epoch_length=4.0)
    st = compute_statistics(hyp, start_time=datetime(2024, 3, 1, 8, 59, 58), clock_hours=True)
    assert st.hour_lengths_s == [2, 3600, 3600, 798]  # 8000 s from 08:59:58
    assert st.hour_starts[:2] == ["2024-03-01 08:59:58", "2024-03-01 09:00"]
    n, w = st.states.index(N), st.states.index(W)
    assert st.per_hour_s[:, n].tolist() == [2, 3600, 398, 0]  # epoch 0 is half in each bin
    assert st.per_hour_s[:, w].tolist() == [0, 0, 3202, 798]
    assert np.allclose(st.per_hour_s.sum(axis=0), [st.time_s[s] for s in st.states])
