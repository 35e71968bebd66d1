"""The app's export at 4 s and `sleepscorer score --epoch-length 4` write the same file: one
rule (sleepscorer.epoch_windows) for both. A user trial found 9 of 898 4-s epochs with
another stage, 34 confidences off by more than 0.1, and no p_* columns in the app's file."""

from sleepscorer.cli import main
from tests.flat_electrode import flat_eeg_edf, note_column
from tests.gui.conftest import open_and_score, write_edf


def test_app_export_at_4_s_is_the_clis_file(qtbot, window, isolated, tmp_path):
    isolated.score.pattern = False  # the bundled model's own probabilities, as the CLI's
    edf = write_edf(tmp_path / "mouse4.edf", minutes=3)
    cli = tmp_path / "cli4.csv"
    assert main(["score", str(edf), "-o", str(cli), "--epoch-length", "4", "--device", "cpu"]) == 0
    open_and_score(qtbot, window, edf)
    window.settings.export_epoch_length = 4.0
    app = tmp_path / "app4.csv"
    assert window.files.export_csv(app)
    app_lines, cli_lines = app.read_text().splitlines(), cli.read_text().splitlines()
    assert app_lines[0] == cli_lines[0]
    assert app_lines[0].startswith("epoch,onset_s,duration_s,stage,confidence,source,p_")
    assert len(app_lines) == 1 + 180 // 4
    assert app_lines == cli_lines


def lost_electrode_edf(path):
    """Two minutes whose EEG is flat (a lost electrode) from 40 s on."""
    from tests.gui.conftest import RATE

    return flat_eeg_edf(path, 40, int(RATE))



def test_app_export_writes_the_clis_note_column(qtbot, window, isolated, tmp_path):
    """A user trial: the app's export wrote no `note` column where `score` named every epoch of
    a flat EEG ("EEG flat: Artifact"). One function (model.quality.note_column) writes both, at
    any epoch length; the session keeps what the scoring found, so an export after a reopen
    writes it too; a person's label there keeps the problem, not the model's verdict."""
    from PySide6.QtCore import Qt

    from tests.gui.test_recovery import reopen

    isolated.score.pattern = False  # the bundled model's own probabilities, as the CLI's
    edf = lost_electrode_edf(tmp_path / "lost-electrode.edf")
    for el in (1, 4):
        assert main(["score", str(edf), "-o", str(tmp_path / f"cli{el}.csv"), "--epoch-length",
                     str(el), "--device", "cpu"]) == 0
    cli = note_column(tmp_path / "cli1.csv")
    assert cli[:39] == [""] * 39 and cli[41:] == ["EEG flat: Artifact"] * 79
    session = open_and_score(qtbot, window, edf)
    for el in (1, 4):
        window.settings.export_epoch_length = float(el)
        app = tmp_path / f"app{el}.csv"
        assert window.files.export_csv(app)
        assert app.read_text() == (tmp_path / f"cli{el}.csv").read_text()  # notes included
    session.click(50.5)
    qtbot.keyClick(window, Qt.Key.Key_2)  # a person says NREM where the electrode is lost
    window.settings.export_epoch_length = 1.0
    assert window.files.export_csv(tmp_path / "labelled.csv")
    labelled = note_column(tmp_path / "labelled.csv")
    assert labelled[50] == "EEG flat" and labelled[:50] + labelled[51:] == cli[:50] + cli[51:]
    window.close()
    second = reopen(qtbot, edf)  # no re-scoring: the saved session's labels come back
    assert isolated.score.calls == ["both"]
    second.settings.export_epoch_length = 1.0
    assert second.files.export_csv(tmp_path / "reopened.csv")
    assert note_column(tmp_path / "reopened.csv") == labelled
    second.files.shutdown()


def test_app_export_writes_a_provenance_record_as_score_does(qtbot, window, isolated, tmp_path,
                                                             monkeypatch):
    """A user trial: `score` wrote NAME.provenance.json beside its CSV, the app's export none,
    so a folder of exports could not say which were a person's work and which a model's. The
    export's record names the recording, the model that scored it and who set how many epochs,
    with the CSV's hash; a stranger's JSON of that name stops the export and is kept."""
    import hashlib
    import json

    from PySide6.QtCore import Qt

    from sleepscorer.gui import dialogs
    from sleepscorer.io.provenance import read_record, record_path

    edf = write_edf(tmp_path / "mouse5.edf", minutes=2)
    session = open_and_score(qtbot, window, edf)
    session.click(30.5)
    qtbot.keyClick(window, Qt.Key.Key_2)  # one epoch a person's
    out = tmp_path / "mouse5_labels.csv"
    assert window.files.export_csv(out)
    record = read_record(record_path(out))
    assert record is not None and record["labels"] == out.name
    assert record["labels_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert record["recording"] == str(edf.absolute())
    assert record["models"] and record["models"][-1]["name"]
    assert record["epochs_by_source"]["expert"] == 1 and record["epochs_by_source"]["model"] == 119
    assert record["epoch_length_s"] == 1.0 and "file_sha256" in record["models"][-1]
    from sleepscorer_model.weights import default_weights_path, load_model
    # the network's hash as `info` prints it and `score`'s record names it (a trial could not
    # match the two)
    assert record["models"][-1]["weights_sha256"] == load_model(
        default_weights_path()).card["weights_sha256"]
    assert record["models"][-1]["scored"][:2] == "20"  # a date, not a Unix float
    window.settings.export_epoch_length = 4.0  # counted as the CSV's rows are (a user trial)
    four = tmp_path / "mouse5_4s.csv"
    assert window.files.export_csv(four)
    counted = read_record(record_path(four))["epochs_by_source"]
    rows = [line.split(",")[5] for line in four.read_text().splitlines()[1:]]  # its source column
    assert sum(counted.values()) == len(rows) == 30
    assert counted["model"] == rows.count("model") and counted["expert"] == rows.count("expert")
    mine = tmp_path / "other_labels.provenance.json"
    mine.write_text(json.dumps({"my": "notes"}))
    errors = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: errors.append(text))
    assert not window.files.export_csv(tmp_path / "other_labels.csv")
    assert errors and "not a SleepScorer scoring record" in errors[0]
    assert json.loads(mine.read_text()) == {"my": "notes"}
    assert not (tmp_path / "other_labels.csv").exists()
