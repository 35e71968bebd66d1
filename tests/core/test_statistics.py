import numpy as np

from sleepscorer.core.statistics import compute_statistics, write_statistics_csv
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
