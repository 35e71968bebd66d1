"""--eeg/--emg choose the channels scored (user trial: `--eeg EEG2` on an EDF with EEG1, EEG2 and
EMG scored EEG1 anyway, and `--eeg EMG` silently scored EEG1 from EEG alone)."""

from pathlib import Path

import numpy as np

from sleepscorer.cli import main
from sleepscorer.io.labels import read_labels
from tests.two_eeg import RATE, write_two_eeg_edf, write_two_eeg_parquet


def _agreement(csv: Path, truth) -> float:
    n = len(truth.stages)
    stages = np.asarray(read_labels(csv, n_epochs=n, epoch_length=1.0).stages)
    return float((stages == truth.stages).mean())


def test_eeg_flag_scores_the_named_eeg_alone_in_a_batch_and_in_a_table(tmp_path, capsys):
    edf, truth = write_two_eeg_edf(tmp_path / "twoeeg.edf")
    table, _ = write_two_eeg_parquet(tmp_path / "twoeeg.parquet")
    out = tmp_path / "out"
    assert main(["score", str(edf), "--eeg", "EEG2", "--emg", "EMG", "-o", str(out / "x.csv"),
                 "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert "EEG EEG2 is scored, as chosen, of 2 EEG channels (EEG1, EEG2)" in err
    assert "can be chosen" not in err and "choose another" not in err
    assert _agreement(out / "x.csv", truth) > 0.8  # was 35 %: EEG1 (noise) scored
    assert main(["score", str(table), "--rate", str(RATE), "--eeg", "eeg2", "--emg", "emg",
                 "-o", str(out / "t.csv"), "--device", "cpu"]) == 0
    assert _agreement(out / "t.csv", truth) > 0.8
    assert main(["score", str(edf), "-o", str(out / "first.csv"), "--device", "cpu"]) == 0
    err = capsys.readouterr().err  # unchosen: the first is scored, and where to choose is said
    assert "EEG EEG1 is scored, the first of 2" in err and "--eeg CHANNEL" in err
    assert "Scoring > Channels..." in err
    assert _agreement(out / "first.csv", truth) < 0.6
    batch = tmp_path / "batch"
    assert main(["score", str(edf), str(tmp_path / "twoeeg.edf"), "--eeg", "EEG2", "-o",
                 str(batch), "--device", "cpu"]) == 0
    assert _agreement(batch / "twoeeg_scored.csv", truth) > 0.8


def test_a_role_given_takes_the_channel_from_its_other_role(tmp_path, capsys):
    from sleepscorer.io import write_edf
    from sleepscorer.io.recording import Recording
    from tests.two_eeg import two_eeg

    rec, _ = two_eeg(120.0)
    path = tmp_path / "one.edf"
    write_edf(Recording([rec.channels[1], rec.channels[2]], rec.source), path)  # EEG2, EMG
    eeg_only = tmp_path / "eeg_only.csv"
    assert main(["score", str(path), "--modality", "eeg", "-o", str(eeg_only),
                 "--device", "cpu"]) == 0
    capsys.readouterr()
    assert main(["score", str(path), "--eeg", "EMG", "-o", str(tmp_path / "emg.csv"),
                 "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert ("channel EMG is scored as the EEG, as chosen, though its name says EMG; no EMG "
            "channel is left, so the recording is scored EEG-only") in err
    assert (tmp_path / "emg.csv").read_text() != eeg_only.read_text()  # was identical
    assert main(["score", str(path), "--emg", "EEG2", "-o", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "name it with --eeg CHANNEL" in err
    assert "say which channel is EEG (roles)" not in err
    assert main(["score", str(path), "--eeg", "", "-o", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--eeg '' is an empty channel name" in err
    assert "the channels of one.edf are EEG2, EMG" in err
    assert not (tmp_path / "x.csv").exists()


def test_a_name_no_channel_has_is_said_before_eeg_and_emg_are_called_the_same(tmp_path, capsys):
    """QA: `--eeg EEG --emg EEG` on a file of EEG1 and EMG1 said "--eeg and --emg both name
    channel 'EEG'", as if one existed; the missing name is said first, as `--eeg EEG` says it."""
    from tests.flat_electrode import flat_eeg_edf

    edf = flat_eeg_edf(tmp_path / "rec.edf", 200)
    out = tmp_path / "x.csv"
    alone = main(["score", str(edf), "--eeg", "EEG", "-o", str(out)])
    said_alone = capsys.readouterr().err
    assert alone == 2 and said_alone == (f"error: {edf}: no channel named 'EEG'; the channels "
                                         "are EEG1, EMG1\n")
    assert main(["score", str(edf), "--eeg", "EEG", "--emg", "EEG", "-o", str(out)]) == 2
    assert capsys.readouterr().err == said_alone
    assert main(["score", str(edf), "--eeg", "EMG1", "--emg", "EMG1", "-o", str(out)]) == 2
    err = capsys.readouterr().err  # a channel that exists, named twice: the same-channel error
    assert err.startswith("error: --eeg and --emg both name channel 'EMG1'")
    assert "the channels of rec.edf are EEG1, EMG1" in err and err.count("\n") == 1
    assert not out.exists()


def test_an_eeg_only_recording_is_said_once_and_an_unused_rate_is_said(tmp_path, capsys):
    """QA: an EEG-only table printed two warnings that said the same ("no EMG channel:
    EEG-only scoring (...)" from the recording, "no EMG channel: scored from EEG alone" from
    the model); and `score rec.edf --rate 100` ignored --rate without a word."""
    from tests.flat_electrode import flat_eeg_edf

    rate = 128
    t = np.arange(120 * rate) / rate
    eeg = 50 * np.sin(2 * np.pi * 2 * t) + 10 * np.random.default_rng(1).normal(size=t.size)
    table = tmp_path / "eegonly.csv"
    table.write_text("eeg\n" + "\n".join(f"{x:.3f}" for x in eeg) + "\n")
    assert main(["score", str(table), "--rate", str(rate), "-o", str(tmp_path / "t_scored.csv"),
                 "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert err.count("no EMG channel") == 1 and "scored from EEG alone" not in err
    assert (f"warning: {table}: no EMG channel: EEG-only scoring (REM and wake are harder to "
            "tell apart)\n") in err
    assert "is not used" not in err  # a table's rate is the one given
    edf = flat_eeg_edf(tmp_path / "rec.edf", 200)
    assert main(["score", str(edf), "--rate", "100", "-o", str(tmp_path / "e_scored.csv"),
                 "--device", "cpu"]) == 0
    assert (f"warning: {edf}: --rate 100 is not used: this file stores its own sampling rate, "
            "and that is used (256 Hz)\n") in capsys.readouterr().err
