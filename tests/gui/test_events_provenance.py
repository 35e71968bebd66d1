"""Session 16b's trial: the app's BIDS events export, dropped back on the window, turned
every model label into a person's (a fine-tuning target)."""

from __future__ import annotations

from sleepscorer.hypnogram import Source
from tests.gui.conftest import open_and_score


def test_a_dropped_events_export_keeps_who_set_each_label(qtbot, window, recording_path,
                                                         tmp_path):
    session = open_and_score(qtbot, window, recording_path)
    hyp = session.hypnogram
    hyp.set_stage(0, 3, hyp.stages[0] % 3 + 1)  # a person's correction before the export
    out = tmp_path / "scored_events.tsv"
    assert window.files.export_bids(out)
    assert out.read_text().splitlines()[0] == "onset\tduration\tstage\tsource"
    window.files.dropped(out)
    assert int(hyp.is_person_labelled().sum()) == 3
    assert (hyp.sources[3:] == Source.MODEL).all()
    assert "imported 3 person-set and 297 model label(s)" in window.statusBar().currentMessage()
