"""A file is what its content says, not what its name says: empty files, recordings under
another format's suffix, label tables given as recordings (a user trial's misleading
messages), and what a batch passes over."""

import hashlib
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.io

from sleepscorer.errors import RecordingError
from sleepscorer.io import load_recording
from sleepscorer.io.discover import file_contents, passed_over
from sleepscorer.io.sniff import sniff
from tests.fuzz.builders import good_edf, labels_csv, sdreamer_mat, write_mat73

SUFFIXES = (".edf", ".bdf", ".rec", ".mat", ".csv", ".tsv", ".parquet", ".continuous")


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_an_empty_file_is_called_empty_whatever_its_suffix(tmp_path, suffix):
    """Was: 'not an EDF/BDF file (its first bytes are not an EDF header)' for empty.edf,
    'Mat file appears to be truncated', 'truncated Open Ephys header', or '--rate needed'."""
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    with pytest.raises(RecordingError, match=r"empty\S*: the file is empty \(0 bytes\)"):
        load_recording(path, rate=256)
    with pytest.raises(RecordingError, match=r"the file is empty \(0 bytes\)"):
        load_recording(path)  # a table without --rate too: empty comes first


def test_an_empty_channel_file_in_an_openephys_folder_is_named(tmp_path):
    from tests.io.test_readers import write_continuous

    folder = tmp_path / "oe"
    folder.mkdir()
    write_continuous(folder / "EEG.continuous", np.zeros(4096, np.int16))
    (folder / "EMG.continuous").write_bytes(b"")
    with pytest.raises(RecordingError, match=r"EMG\.continuous: the file is empty \(0 bytes\)"):
        load_recording(folder)


@pytest.mark.parametrize("name", ["rec.mat", "rec.csv", "rec.parquet", "rec.tsv", "rec"])
def test_an_edf_under_another_name_is_read_as_edf_and_left_unchanged(tmp_path, name):
    """Was: 'cannot read this .mat file (Unknown mat file type, version 32, 32); save it again
    from MATLAB' for an EDF renamed .mat (renamed .bdf, it was read)."""
    edf = good_edf(tmp_path / "orig.edf")
    path = tmp_path / name
    shutil.copyfile(edf, path)
    before = _digest(path)
    rec = load_recording(path, rate=128)
    assert [c.name for c in rec.channels] == [c.name for c in load_recording(edf).channels]
    assert rec.warnings[0].startswith(f"{name} holds an EDF recording although ")
    assert "; read as EDF (the file is not changed" in rec.warnings[0]
    assert _digest(path) == before and sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {"orig.edf", name})


def test_a_bdf_named_mat_and_a_mat_named_edf_are_read_as_what_they_are(tmp_path):
    bdf = tmp_path / "rec.mat"
    shutil.copyfile(good_edf(tmp_path / "orig.bdf", bdf=True), bdf)
    assert load_recording(bdf).warnings[0].startswith("rec.mat holds a BDF recording")
    mat = tmp_path / "mat.edf"
    scipy.io.savemat(tmp_path / "m.mat", sdreamer_mat())
    shutil.copyfile(tmp_path / "m.mat", mat)
    rec = load_recording(mat)
    assert rec.eeg is not None and rec.rate == 256
    assert rec.warnings[0].startswith("mat.edf holds a MATLAB .mat recording although named .edf")
    v73 = tmp_path / "v73.edf"
    write_mat73(v73, sdreamer_mat())
    assert load_recording(v73).warnings[0].startswith("v73.edf holds a MATLAB .mat recording")


def test_a_parquet_named_csv_is_read_as_parquet(tmp_path):
    path = tmp_path / "rec.csv"
    pq.write_table(pa.table({"eeg": np.zeros(2560), "emg": np.ones(2560)}), path)
    rec = load_recording(path, rate=256)
    assert rec.duration_s == 10 and rec.warnings[0].startswith("rec.csv holds a Parquet recording")


def test_sniff_reads_magic_bytes(tmp_path):
    cases = {"e": b"0       rest", "b": b"\xffBIOSEMI", "m": b"MATLAB 5.0 MAT-file, x",
             "h": b"\x89HDF\r\n\x1a\nxx", "p": b"PAR1xxxx", "t": b"eeg,emg\n1,2\n", "z": b""}
    for name, head in cases.items():
        (tmp_path / name).write_bytes(head)
    found = {name: sniff(tmp_path / name) for name in cases}
    assert found == {"e": "edf", "b": "bdf", "m": "mat", "h": "hdf5", "p": "parquet",
                     "t": None, "z": "empty"}
    offset = tmp_path / "v73"  # MATLAB's 512-byte text block, then HDF5
    offset.write_bytes(b"\0" * 512 + b"\x89HDF\r\n\x1a\n")
    assert sniff(offset) == "mat"
    nwb = tmp_path / "rec.nwb"
    nwb.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 600)
    with pytest.raises(RecordingError, match="unknown file type '.nwb'"):
        load_recording(nwb)
    assert sniff(tmp_path / "missing") is None


@pytest.mark.parametrize("rate", [512, None])
def test_a_label_table_given_as_a_recording_says_it_holds_labels(tmp_path, rate):
    """Was: "no EEG column (found epoch, onset_s, duration_s, stage, confidence, source); name
    the EEG column 'eeg'" with --rate, and '--rate needed' without."""
    path = tmp_path / "labels.csv"
    path.write_text(labels_csv([(i, i, 1, "Wake", 0.9, "expert") for i in range(5)]))
    with pytest.raises(RecordingError, match=r"labels\.csv: this file holds sleep labels "
                       r"\(columns epoch, onset_s, duration_s, stage, \.\.\.\), not signals; "
                       "open the recording and import these labels"):
        load_recording(path, rate=rate)
    events = tmp_path / "sub-1_events.tsv"
    events.write_text("onset\tduration\ttrial_type\n0\t4\tWake\n")
    with pytest.raises(RecordingError, match="holds sleep labels"):
        load_recording(events, rate=rate)


def test_a_signal_table_with_a_stage_column_is_still_read(tmp_path):
    path = tmp_path / "rec.csv"
    path.write_text("EEG1,EMG1,stage\n" + "1,2,Wake\n" * 512)
    assert load_recording(path, rate=128).eeg.name == "EEG1"


def test_file_contents_goes_by_content(tmp_path):
    """A drop on the window: an EDF named .csv holds signals (its header is not a table), and
    an empty file goes to the reader, which says it is empty."""
    shutil.copyfile(good_edf(tmp_path / "rec.edf"), tmp_path / "rec.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    assert file_contents(tmp_path / "rec.csv") == {"signals"}
    assert file_contents(tmp_path / "empty.csv") == {"signals"}


def test_passed_over_tells_what_a_skipped_file_is(tmp_path):
    files = {"notes.txt": "mouse 3, cage 2\nrecorded fine\n", "README": "hello\n",
             "x.csv": "epoch,stage\n0,Wake\n", "acc.csv": "EEG,EMG\n1,2\n",
             "stats.tsv": "state\tminutes\nWake\t3\n", "empty.txt": ""}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    shutil.copyfile(good_edf(tmp_path / "rec.edf"), tmp_path / "rec_copy")
    (tmp_path / "x.nwb").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 600)
    kinds = {name: passed_over(tmp_path / name) for name in [*files, "rec_copy", "x.nwb"]}
    assert kinds == {"notes.txt": "other", "README": "other", "x.csv": "labels",
                     "acc.csv": "signal table", "stats.tsv": "table", "empty.txt": "empty",
                     "rec_copy": "recording", "x.nwb": "other"}


def test_an_accusleep_label_file_of_one_column_is_labels(tmp_path):
    """A QA pass: `score DIR` listed an AccuSleep label CSV (one `brain_state` column) among
    "other files" while `info` said it holds sleep labels. A one-column file that is not a
    label column is still no table."""
    (tmp_path / "acc.csv").write_text("brain_state\n1\n3\n2\n")
    (tmp_path / "bom.csv").write_bytes("\ufeffbrain_state\r\n2\r\n".encode())
    (tmp_path / "list.txt").write_text("mice\nm1\nm2\n")
    (tmp_path / "sub-1_events.tsv").write_text("onset\tduration\ttrial_type\n0\t4\tWake\n")
    kinds = {name: passed_over(tmp_path / name)
             for name in ("acc.csv", "bom.csv", "list.txt", "sub-1_events.tsv")}
    assert kinds == {"acc.csv": "labels", "bom.csv": "labels", "list.txt": "other",
                     "sub-1_events.tsv": "labels"}
    with pytest.raises(RecordingError, match="holds sleep labels"):
        load_recording(tmp_path / "acc.csv", rate=512)
