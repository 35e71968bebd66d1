import hashlib
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.io

from sleepscorer.errors import RecordingError
from sleepscorer.io import Channel, ChannelKind, Recording, load_bids, load_recording, write_edf
from sleepscorer.io.openephys import RECORD

RATE = 128


def _signals(seconds=12, rate=RATE, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(seconds * rate) / rate
    eeg = (40 * np.sin(2 * np.pi * 2 * t) + 10 * rng.standard_normal(len(t))).astype(np.float32)
    emg = (20 * rng.standard_normal(len(t))).astype(np.float32)
    return eeg, emg


def _edf(path, names=("EEG1", "EMG"), seconds=12, rates=(RATE, RATE), start=None):
    eeg, emg = _signals(seconds)
    channels = [Channel(names[0], ChannelKind.EEG, eeg[: seconds * rates[0]], rates[0], "uV")]
    if len(names) > 1:
        data = emg if rates[1] == RATE else _signals(seconds, rates[1])[1]
        channels.append(Channel(names[1], ChannelKind.EMG, data, rates[1], "uV"))
    write_edf(Recording(channels, Path(path), start), path)
    return channels


def _fingerprint(path):
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def write_continuous(path, samples, rate=1000, bit_volts=0.195, channel="CH1"):
    """A tiny Open Ephys legacy .continuous writer for tests."""
    header = (f"header.format = 'Open Ephys Data Format'; \nheader.version = 0.4;\n"
              f"header.header_bytes = 1024;\nheader.channel = '{channel}';\n"
              f"header.sampleRate = {rate};\nheader.blockLength = 1024;\n"
              f"header.bitVolts = {bit_volts};\n").encode().ljust(1024, b" ")
    n = len(samples) // 1024
    records = np.zeros(n, dtype=RECORD)
    records["timestamp"] = np.arange(n) * 1024
    records["n"] = 1024
    records["samples"] = np.asarray(samples[: n * 1024]).reshape(n, 1024)
    records["marker"] = np.arange(10, dtype=np.uint8)
    path.write_bytes(header + records.tobytes())


# -- synthetic files ----------------------------------------------------------------------
def test_edf_round_trip_kinds_units_start(tmp_path):
    path = tmp_path / "mouse.edf"
    channels = _edf(path, start=datetime(2024, 5, 6, 7, 8, 9))
    before = _fingerprint(path)
    rec = load_recording(path)
    assert [(c.name, c.kind, c.rate, c.unit) for c in rec.channels] == [
        ("EEG1", ChannelKind.EEG, RATE, "uV"), ("EMG", ChannelKind.EMG, RATE, "uV")]
    assert rec.channels[0].data.dtype == np.float32
    np.testing.assert_allclose(rec.eeg.data, channels[0].data, atol=0.01)
    assert rec.start_time == datetime(2024, 5, 6, 7, 8, 9) and rec.warnings == []
    assert _fingerprint(path) == before


def test_non_ascii_path(tmp_path):
    folder = tmp_path / "Mäuse_睡眠"
    folder.mkdir()
    _edf(folder / "tier_ü.edf")
    assert load_recording(folder / "tier_ü.edf").duration_s == 12


def test_mismatched_rates_keep_each_channel_rate(tmp_path):
    path = tmp_path / "mixed.edf"
    _edf(path, rates=(RATE, 100))
    rec = load_recording(path)
    assert (rec.eeg.rate, len(rec.eeg.data)) == (RATE, 12 * RATE)
    assert (rec.emg.rate, len(rec.emg.data)) == (100, 12 * 100)
    assert rec.duration_s == 12 and not any("resampl" in w for w in rec.warnings)


def test_unnamed_channels_are_other_with_warning_and_roles_fix_it(tmp_path):
    path = tmp_path / "plain.edf"
    _edf(path, names=("Channel1", "Channel2"))
    rec = load_recording(path)
    assert {c.kind for c in rec.channels} == {ChannelKind.OTHER}
    assert "no channel is recognised as EEG" in rec.warnings[0]
    chosen = rec.with_roles({"Channel1": ChannelKind.EEG})  # roles set after reading
    assert chosen.warnings == ["no EMG channel: EEG-only scoring (REM and wake are harder to tell apart)"]
    assert rec.with_roles({"Channel1": ChannelKind.EEG, "Channel2": ChannelKind.EMG}).warnings == []
    rec = load_recording(path, roles={"Channel1": ChannelKind.EEG, "Channel2": ChannelKind.EMG})
    assert rec.eeg.name == "Channel1" and rec.emg.name == "Channel2" and rec.warnings == []


def test_eeg_only_and_flat_channel_warnings(tmp_path):
    eeg, _ = _signals(60)
    eeg[20 * RATE:] = 0.0
    rec_in = Recording([Channel("EEG", ChannelKind.EEG, eeg, RATE, "uV")], tmp_path)
    write_edf(rec_in, tmp_path / "flat.edf")
    rec = load_recording(tmp_path / "flat.edf")
    assert any("EEG-only scoring" in w for w in rec.warnings)
    assert any("channel EEG is flat from 20 s to the end" in w for w in rec.warnings)


def test_nan_samples_replaced_with_warning(tmp_path):
    path = tmp_path / "nan.csv"
    eeg, emg = _signals(4)
    eeg[5:8] = np.nan
    emg[0] = np.inf
    np.savetxt(path, np.c_[eeg, emg], delimiter=",", header="eeg,emg", comments="")
    rec = load_recording(path, rate=RATE)
    assert np.isfinite(rec.eeg.data).all() and rec.eeg.data[6] == 0
    assert any("channel eeg: 3 NaN/inf samples" in w for w in rec.warnings)
    assert any("channel emg: 1 NaN/inf" in w for w in rec.warnings)


def test_parquet_table(tmp_path):
    eeg, emg = _signals(3)
    pq.write_table(pa.table({"EEG": eeg, "EMG": emg, "time": np.arange(len(eeg))}),
                   tmp_path / "sig.parquet")
    rec = load_recording(tmp_path / "sig.parquet", rate=RATE)
    assert [c.name for c in rec.channels] == ["EEG", "EMG"] and rec.duration_s == 3


def test_mat_sdreamer_layout(tmp_path):
    eeg, emg = _signals(8)
    path = tmp_path / "sd.mat"
    scipy.io.savemat(path, {"eeg": eeg.reshape(8, RATE), "emg": emg[None, :],
                            "eeg_frequency": float(RATE), "ne": np.ones(80),
                            "sleep_scores": np.zeros(8)})
    rec = load_recording(path)
    np.testing.assert_array_equal(rec.eeg.data, eeg)
    ne = rec.channel("NE")  # at its own (assumed) rate, covering the EEG's 8 s
    assert ne.kind is ChannelKind.OTHER and (ne.rate, len(ne.data), ne.duration_s) == (10, 80, 8)


def test_mat_v73_via_h5py(tmp_path):
    eeg, emg = _signals(8)
    path = tmp_path / "v73.mat"
    with h5py.File(path, "w", userblock_size=512) as f:
        f["eeg"] = eeg.reshape(8, RATE).T  # MATLAB is column-major: h5py sees it transposed
        f["emg"] = emg[None, :].T
        f["eeg_frequency"] = np.array([[RATE]], dtype=float)
    with open(path, "r+b") as f:
        f.write(b"MATLAB 7.3 MAT-file".ljust(116) + b"\x00" * 8 + b"\x00\x02IM")
    rec = load_recording(path)
    np.testing.assert_array_equal(rec.eeg.data, eeg)
    np.testing.assert_array_equal(rec.emg.data, emg)


def test_mat_misleep_layout(tmp_path):
    eeg, emg = _signals(8)
    path = tmp_path / "ms.mat"
    scipy.io.savemat(path, {"data": {"EEG_P": eeg[None], "EMG_DIFF": emg[None],
                                     "sf": np.array([[RATE, RATE]], float),
                                     "time": "20241104-07:12:21"}})
    rec = load_recording(path)
    assert rec.eeg.name == "EEG_P" and rec.emg.name == "EMG_DIFF" and rec.eeg.unit == "mV"
    assert rec.start_time == datetime(2024, 11, 4, 7, 12, 21)


def test_openephys_synthetic_folder_and_file(tmp_path):
    rng = np.random.default_rng(1)
    for name in ("EEG", "EMG"):
        write_continuous(tmp_path / f"{name}.continuous",
                         rng.integers(-300, 300, 4096).astype(np.int16))
    write_continuous(tmp_path / "Trigger.continuous", np.zeros(4096, np.int16),
                     bit_volts=0.000152588, channel="ADC1")
    rec = load_recording(tmp_path / "EEG.continuous")
    assert [(c.name, c.kind) for c in rec.channels] == [
        ("EEG", ChannelKind.EEG), ("EMG", ChannelKind.EMG), ("Trigger", ChannelKind.OTHER)]
    assert rec.rate == 1000 and rec.n_samples == 4096
    assert rec.channel("Trigger").unit == "V" and rec.eeg.unit == "uV"
    assert np.abs(rec.eeg.data).max() <= 300 * 0.195 + 1e-3


def test_an_openephys_copy_cut_short_is_said(tmp_path):
    """A user trial: the first megabyte of the demo's files scored 8 of its 29 minutes with
    no word that the files stop part-way through a record."""
    rng = np.random.default_rng(1)
    for name in ("EEG", "EMG"):
        write_continuous(tmp_path / f"{name}.continuous",
                         rng.integers(-300, 300, 4096).astype(np.int16))
    assert not load_recording(tmp_path).warnings
    for name in ("EEG", "EMG"):
        path = tmp_path / f"{name}.continuous"
        path.write_bytes(path.read_bytes()[:-1000])
    rec = load_recording(tmp_path)
    assert rec.n_samples == 3 * 1024  # the whole records
    assert any("EEG.continuous, EMG.continuous end part-way through a data record" in w
               for w in rec.warnings)


def test_bids_channels_and_events(tmp_path):
    _edf(tmp_path / "sub-1_task-sleep_eeg.edf", names=("ch_a", "ch_b"))
    (tmp_path / "sub-1_task-sleep_channels.tsv").write_text(
        "name\ttype\tunits\nch_a\tEEG\tuV\nch_b\tEMG\tuV\n")
    (tmp_path / "sub-1_task-sleep_events.tsv").write_text(
        "onset\tduration\tstage\n0\t4\t1\n4\t4\t2\n8\t4\t3\n")
    rec, hyp = load_bids(tmp_path / "sub-1_task-sleep_eeg.edf")
    assert rec.eeg.name == "ch_a" and rec.emg.name == "ch_b"
    assert hyp.epoch_length == 4 and list(hyp.stages) == [0, 1, 2]


# -- bad input ----------------------------------------------------------------------------
def test_unknown_extension(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(b"RIFF")
    with pytest.raises(RecordingError, match=r"x\.wav: unknown file type '\.wav'; supported: "
                                             r"\.edf, \.bdf"):
        load_recording(path)


def test_truncated_edf_header(tmp_path):
    path = tmp_path / "cut.edf"
    _edf(path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(RecordingError, match=r"cut\.edf: truncated EDF header \(300 of 768"):
        load_recording(path)


def test_corrupt_edf_header_field(tmp_path):
    path = tmp_path / "bad.edf"
    _edf(path)
    raw = bytearray(path.read_bytes())
    raw[236:244] = b"abc     "
    path.write_bytes(bytes(raw))
    with pytest.raises(RecordingError, match="corrupt EDF header: field 'number of data records'"):
        load_recording(path)


def test_not_an_edf(tmp_path):
    path = tmp_path / "fake.edf"
    path.write_bytes(b"hello world, I am not an EDF" * 20)
    with pytest.raises(RecordingError, match=r"fake\.edf: not an EDF/BDF file"):
        load_recording(path)


def test_truncated_edf_data_reads_what_is_there(tmp_path):
    path = tmp_path / "short.edf"
    _edf(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 3 * 2 * RATE * 2])
    rec = load_recording(path)
    assert rec.duration_s == 9 and "ends after 9 of 12 data records" in rec.warnings[0]


def test_an_edf_cut_before_its_first_record_says_so_in_its_own_terms(tmp_path):
    """A user trial: the first 3000 bytes of the MiSleep EDF read "corrupt or truncated
    EDF/BDF header (list index out of range)", Python's words, not the file's."""
    path = tmp_path / "head.edf"
    _edf(path)
    data = path.read_bytes()
    path.write_bytes(data[:768 + 10])  # the header and 10 bytes of a record: mne fails first
    with pytest.raises(RecordingError) as err:
        load_recording(path)
    assert "no complete data record" in str(err.value) and "index" not in str(err.value)


def test_mat_without_eeg(tmp_path):
    path = tmp_path / "noeeg.mat"
    scipy.io.savemat(path, {"emg": np.zeros(100), "foo": 1})
    with pytest.raises(RecordingError, match=r"noeeg\.mat: no EEG in this \.mat file "
                                             r"\(found emg, foo\)"):
        load_recording(path)


def test_no_eeg_at_all(tmp_path):
    path = tmp_path / "emgonly.edf"
    _, emg = _signals(4)
    write_edf(Recording([Channel("EMG", ChannelKind.EMG, emg, RATE, "uV")], path), path)
    with pytest.raises(RecordingError, match=r"emgonly\.edf: no EEG channel \(found EMG \(EMG\)\)"):
        load_recording(path)


def test_shorter_than_one_epoch(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("eeg,emg\n" + "1,2\n" * 50)
    with pytest.raises(RecordingError, match=r"tiny\.csv: the recording lasts 0\.391 s, shorter "
                                             r"than one 1-s epoch"):
        load_recording(path, rate=RATE)


def test_table_needs_rate(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("eeg,emg\n1,2\n")
    with pytest.raises(RecordingError, match=r"t\.csv: .* pass it with --rate HZ"):
        load_recording(path)


def test_missing_file(tmp_path):
    with pytest.raises(RecordingError, match=r"gone\.edf: file not found"):
        load_recording(tmp_path / "gone.edf")


def test_unreadable_mat(tmp_path):
    path = tmp_path / "junk.mat"
    path.write_bytes(b"\x00" * 200)
    with pytest.raises(RecordingError, match=r"junk\.mat: cannot read this \.mat file"):
        load_recording(path)


# -- real data ----------------------------------------------------------------------------
def test_real_openephys(openephys_dir):
    before = _fingerprint(openephys_dir / "EEG.continuous")
    rec = load_recording(openephys_dir)
    assert rec.rate == 1000 and rec.n_samples == 1_741_824
    assert [c.kind for c in rec.channels] == [ChannelKind.EEG, ChannelKind.EMG, ChannelKind.OTHER]
    rms = float(np.sqrt(np.mean((rec.eeg.data - rec.eeg.data.mean()) ** 2)))
    assert 14 < rms < 20
    assert _fingerprint(openephys_dir / "EEG.continuous") == before


def test_real_misleep_edf_is_flat_after_30_s(misleep_dir):
    path = misleep_dir / "10mins_example_edf.edf"
    before = _fingerprint(path)
    rec = load_recording(path)
    assert len(rec.channels) == 4 and rec.rate == 500 and rec.duration_s == 600
    assert all(c.kind is ChannelKind.OTHER for c in rec.channels)
    assert any("Channel1 is flat from 32 s to the end" in w for w in rec.warnings)
    assert _fingerprint(path) == before


def test_real_misleep_mat(misleep_dir):
    rec = load_recording(misleep_dir / "10mins_example_mat.mat")
    assert rec.rate == 305 and rec.n_samples == 183000
    assert (rec.eeg.name, rec.emg.name) == ("EEG_P", "EMG_DIFF")
    assert 0.01 < float(rec.eeg.data.std()) < 0.2 and rec.warnings == []


def test_bdf_24_bit_samples(tmp_path):
    """An EDF rewritten as BDF (3-byte samples) reads back the same values, signs included."""
    edf = tmp_path / "m.edf"
    _edf(edf)
    raw = edf.read_bytes()
    ns = int(raw[252:256])
    header = bytearray(raw[: 256 * (ns + 1)])
    header[0:8] = b"\xffBIOSEMI"
    digital = np.frombuffer(raw[len(header):], dtype="<i2").astype(np.int32)
    packed = np.stack([(digital >> s) & 0xFF for s in (0, 8, 16)], axis=1).astype(np.uint8)
    (tmp_path / "m.bdf").write_bytes(bytes(header) + packed.tobytes())
    a, b = load_recording(edf), load_recording(tmp_path / "m.bdf")
    np.testing.assert_array_equal(a.eeg.data, b.eeg.data)
    np.testing.assert_array_equal(a.emg.data, b.emg.data)


def test_with_roles_takes_kinds_or_their_names_and_copies():
    import numpy as np

    from sleepscorer.io.recording import Channel, ChannelKind, Recording

    rec = Recording([Channel("ch1", ChannelKind.OTHER, np.zeros(10, np.float32), 10.0),
                     Channel("ch2", ChannelKind.OTHER, np.zeros(10, np.float32), 10.0)], Path("x"))
    chosen = rec.with_roles({"ch1": "EEG", "ch2": ChannelKind.EMG})
    assert chosen.eeg.name == "ch1" and chosen.emg.name == "ch2"
    assert rec.eeg is None  # the original is unchanged


@pytest.mark.parametrize("name", ["Trigger", "STATUS", "trigger 1"])
def test_a_signal_named_like_a_stim_channel_reads_in_its_physical_units(tmp_path, name):
    """mne takes an EDF signal called Trigger or Status for a stim channel and returns it
    unscaled: a 400 uV pulse read as 1.3e11 uV. Every signal is read as recorded."""
    import edfio

    rate, n = 128.0, 128 * 60
    pulse = np.zeros(n)
    pulse[1280:2560] = 400.0
    eeg = np.sin(np.arange(n) / 10.0) * 50
    signals = [edfio.EdfSignal(eeg, rate, label="EEG1", physical_dimension="uV",
                               physical_range=(-500, 500)),
               edfio.EdfSignal(pulse, rate, label=name, physical_dimension="uV",
                               physical_range=(-500, 500))]
    path = tmp_path / "stim.edf"
    edfio.Edf(signals).write(path)
    rec = load_recording(path)
    trigger = next(c for c in rec.channels if c.name == name)
    assert abs(float(np.max(trigger.data)) - 400.0) < 0.1 and abs(float(np.min(trigger.data))) < 0.1
    assert np.allclose(rec.channels[0].data, eeg, atol=0.05)


def test_a_signal_that_is_not_a_voltage_keeps_its_unit(tmp_path):
    """An accelerometer in g (or a Boolean status line) is read as recorded, not as volts
    turned into microvolts a million times too large."""
    import edfio

    rate, n = 128.0, 128 * 60
    accel = np.linspace(0.0, 2.0, n)
    signals = [edfio.EdfSignal(np.sin(np.arange(n) / 10.0) * 50, rate, label="EEG1",
                               physical_dimension="uV", physical_range=(-500, 500)),
               edfio.EdfSignal(accel, rate, label="Accel", physical_dimension="g",
                               physical_range=(-4, 4))]
    path = tmp_path / "accel.edf"
    edfio.Edf(signals).write(path)
    rec = load_recording(path)
    channel = next(c for c in rec.channels if c.name == "Accel")
    assert channel.unit == "g" and np.allclose(channel.data, accel, atol=1e-3)
    assert rec.channels[0].unit in ("uV", "µV") and float(np.max(np.abs(rec.channels[0].data))) > 40


def test_a_file_with_several_eeg_channels_says_which_is_scored(tmp_path):
    """A user trial: with three EEG channels, `score` used EEG1 and never said so."""
    import edfio

    from sleepscorer.io import load_recording

    n = 128 * 60
    rng = np.random.default_rng(0)
    signals = [edfio.EdfSignal(50 * rng.normal(size=n), 128, label=name, physical_dimension="uV",
                               physical_range=(-500, 500)) for name in ("EEG1", "EEG2", "EEG3", "EMG")]
    edfio.Edf(signals).write(tmp_path / "three.edf")
    rec = load_recording(tmp_path / "three.edf")
    assert ("EEG EEG1 is scored, the first of 3 EEG channels (EEG1, EEG2, EEG3); choose another "
            "with Scoring > Channels... in the app or --eeg CHANNEL on the command line"
            ) in rec.warnings
    chosen = load_recording(tmp_path / "three.edf", roles={"EEG3": "EEG"})  # --eeg EEG3
    assert chosen.eeg.name == "EEG3" and rec.with_roles({"EEG3": "EEG"}).eeg.name == "EEG3"
    assert "EEG EEG3 is scored, as chosen, of 3 EEG channels (EEG1, EEG2, EEG3)" in chosen.warnings
    assert not any("the first of" in w for w in rec.with_roles({"EEG2": "other", "EEG3": "other"}).warnings)
