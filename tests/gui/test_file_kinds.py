"""The app's open goes by a file's content as the CLI does (the readers are shared): an empty
file is called empty, an EDF named .mat opens as EDF with a note."""

from __future__ import annotations

import shutil

from sleepscorer.gui import dialogs
from tests.gui.conftest import wait_scored, write_edf


def test_an_empty_file_opens_with_the_file_is_empty(qtbot, window, tmp_path, monkeypatch):
    """Was: 'not an EDF/BDF file (its first bytes are not an EDF header)'."""
    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, text: shown.append(text))
    empty = tmp_path / "empty.edf"
    empty.write_bytes(b"")
    window.files.open_path(empty, ask_to_save=False)
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    assert "empty.edf: the file is empty (0 bytes)" in shown[0]
    assert window.session is None and empty.read_bytes() == b""


def test_an_edf_named_mat_opens_as_edf_with_a_note(qtbot, window, tmp_path):
    """Was: 'cannot read this .mat file (Unknown mat file type, version 32, 32)'."""
    path = tmp_path / "rec.mat"
    shutil.copyfile(write_edf(tmp_path / "orig.edf", minutes=1), path)
    before = path.read_bytes()
    window.files.open_path(path, ask_to_save=False)
    qtbot.waitUntil(lambda: window.session is not None, timeout=20000)
    wait_scored(qtbot, window)
    assert any(n.startswith("rec.mat holds an EDF recording although named .mat; read as EDF")
               for n in window.files.file_notes)
    assert path.read_bytes() == before


def test_a_dropped_edf_with_no_suffix_opens(qtbot, window, tmp_path):
    """Was refused by its name ("not a file SleepScorer reads") though the CLI reads it."""
    path = tmp_path / "mouse3"
    shutil.copyfile(write_edf(tmp_path / "orig.edf", minutes=1), path)
    window.files.dropped(path)
    qtbot.waitUntil(lambda: window.session is not None, timeout=20000)
    wait_scored(qtbot, window)
    assert window.session.recording.source == path



def test_export_corrections_says_which_stages_it_left_out(tmp_path):
    """The fine-tune dialog said so; File > Export corrections alone said only "added to".
    The export task's own function, on a real recording, hypnogram and the bundled card."""
    import json
    from types import SimpleNamespace

    from sleepscorer.gui import backend
    from sleepscorer.gui.model_actions import _export
    from sleepscorer.hypnogram import Hypnogram
    from sleepscorer.stages import Stage

    recording = backend.load_recording(path=write_edf(tmp_path / "rec.edf", minutes=2))
    hyp = Hypnogram(recording.n_epochs(1.0), 1.0)
    hyp.set_stage(0, 30, Stage.NREM)
    hyp.set_stage(30, 40, Stage.MA)
    card = json.loads(backend.default_weights_path().with_suffix(".json").read_text())
    folder, note = _export(recording=recording, hypnogram=hyp, folder=tmp_path / "corr",
                           card=card, task=SimpleNamespace(report=lambda *a: None))
    assert folder == tmp_path / "corr"
    assert note == "10 MA epoch(s) left out: the model scores Wake/NREM/REM only"
