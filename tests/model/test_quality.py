"""How bad-signal spans are reported (model.quality): one line per failing stretch."""

from sleepscorer_model.quality import QualitySpan, stretches


def test_nearby_spans_of_one_channel_are_one_stretch_and_others_stay_apart():
    spans = [QualitySpan("EMG", "Ch2", "flat", a, b) for a, b in ((32, 44), (45, 50), (52, 244))]
    spans += [QualitySpan("EEG", "Ch1", "flat", 40, 600), QualitySpan("EMG", "Ch2", "clipped", 46, 47),
              QualitySpan("EMG", "Ch2", "flat", 300, 310)]
    found = stretches(spans)
    assert [(s.first.channel, s.first.reason, s.first.start, s.stop, s.bad_s, s.pieces) for s in found] == [
        ("EMG", "flat", 32, 244, 12 + 5 + 192, 3), ("EEG", "flat", 40, 600, 560, 1),
        ("EMG", "clipped", 46, 47, 1, 1), ("EMG", "flat", 300, 310, 10, 1)]
    assert found[0].describe() == ("EMG Ch2 flat (disconnected electrode?) from 32 s to 244 s "
                                   "(209 s of it, in 3 pieces)")
    assert found[1].describe() == "EEG Ch1 flat (disconnected electrode?) from 40 s to 600 s"
    assert stretches([]) == []


def test_quiet_but_living_emg_is_not_a_lost_electrode():
    """Two simulated animals of the alternative generator whose EMG was read as flat: REM
    atonia at 1-2 % of the Wake bursts (lab_e, seed 8709) and NREM tone under 2 uV (lab_b,
    200 Hz, seed 8701). Scoring sent those epochs to the EEG alone, which lost their REM
    (REM F1 0.94 -> 0.43). A dead EMG is still found."""
    import numpy as np
    from sleepscorer_model.quality import bad_epochs
    from sleepscorer_model.simulation import simulate_recording

    from sleepscorer.io.recording import Channel

    for lab, rate, seed in (("lab_e", 500.0, 8709), ("lab_b", 200.0, 8701)):
        rec, hyp = simulate_recording(7200.0, rate=rate, seed=seed, lab=lab, generator="alt")
        n = rec.n_epochs(1.0)
        flat = bad_epochs(rec.emg, n)["flat"]
        assert flat.sum() == 0, (lab, seed, int(flat.sum()), np.bincount(hyp.stages[:n][flat]))
        dead = np.asarray(rec.emg.data, np.float32).copy()
        dead[int(600 * rate):int(900 * rate)] = dead[int(600 * rate)]
        found = bad_epochs(Channel(rec.emg.name, rec.emg.kind, dead, rate, rec.emg.unit), n)["flat"]
        assert found[601:899].all() and found.sum() <= 302


def test_artefacts_on_the_rails_do_not_make_living_signal_flat():
    """Session 13's note: the typical level was the 98th percentile of every epoch's standard
    deviation, so a file whose movement artefacts hit the amplifier's rails in more than 2 % of
    its seconds had that level set by them, and its EEG (0.4 % of it) was gated as flat."""
    import numpy as np
    from sleepscorer_model.quality import bad_epochs

    from sleepscorer.io.recording import Channel, ChannelKind

    rate, n = 256, 1200
    rng = np.random.default_rng(7)
    x = rng.standard_normal(n * rate) * 20.0  # EEG, 20 uV
    for start in rng.choice(n - 1, 60, replace=False):  # 5 % of seconds: artefacts on the rails
        seg = slice(start * rate, (start + 1) * rate)
        x[seg] = np.clip(rng.standard_normal(rate) * 20000.0, -5000.0, 5000.0)
    x[600 * rate:700 * rate] = 0.0  # and a real disconnection, which must still be found
    found = bad_epochs(Channel("EEG", ChannelKind.EEG, x.astype(np.float32), float(rate)), n)
    assert found["clipped"].sum() >= 50  # a few fell inside the disconnection
    assert found["flat"][600:700].all()
    assert found["flat"].sum() <= 100 + 2


def _eeg_with_nan_hole(rate=512.0, seconds=40):
    """A user trial's table: EEG samples 1000-4999 NaN (1.95-9.77 s), read through the one
    reader path that sets NaN to 0."""
    from pathlib import Path

    import numpy as np

    from sleepscorer.io.assemble import RawChannel, assemble
    from tests.model.conftest import make_recording

    rec = make_recording(seconds, rate=rate)
    eeg, emg = (np.array(ch.data, np.float32) * 50 for ch in (rec.eeg, rec.emg))  # in uV
    eeg[1000:5000] = np.nan
    return assemble(Path("nan.parquet"), [RawChannel("EEG1", rec.eeg.kind, eeg, rate, "uV"),
                                          RawChannel("EMG", rec.emg.kind, emg, rate, "uV")])


def test_epochs_mostly_missing_are_unusable_and_reported_as_missing_with_their_extent():
    """The zero-filled hole was reported 'flat from 2 s to 9 s' and epoch 9 (77 % NaN) was
    scored NREM at 0.995; epoch 1 (5 % NaN) is still signal."""
    from sleepscorer_model.quality import check_channels, epoch_notes, stretches

    rec = _eeg_with_nan_hole()
    masks, spans = check_channels({"EEG": rec.eeg, "EMG": rec.emg}, rec.n_epochs())
    assert masks["EEG"].nonzero()[0].tolist() == list(range(2, 10))
    assert not masks["EMG"].any()
    assert [(s.reason, s.start, s.stop) for s in spans] == [("missing", 2, 10)]
    assert spans[0].describe() == "EEG EEG1 missing (NaN) from 1.95 s to 9.77 s"
    assert stretches(spans)[0].describe() == "EEG EEG1 missing (NaN) from 1.95 s to 9.77 s"
    assert epoch_notes(spans, 12)[1:11] == [""] + ["EEG missing: Artifact"] * 8 + [""]


def test_scoring_gates_mostly_missing_epochs_as_artifact():
    from sleepscorer_model.inference import score
    from sleepscorer_model.weights import LoadedModel, build_model

    from sleepscorer.stages import Stage
    from tests.model.conftest import TINY

    rec = _eeg_with_nan_hole()
    result = score(rec, LoadedModel.wrap(build_model("sdreamer-seq", **TINY).eval()), device="cpu")
    artifact = [k for k, s in enumerate(result.stages) if s == int(Stage.ARTIFACT)]
    assert artifact == list(range(2, 10))
    assert result.confidence[9] <= 0.5
    assert "EEG EEG1 missing (NaN) from 1.95 s to 9.77 s: scored Artifact, please review" in (
        result.warnings)
    assert not any("flat" in w for w in result.warnings), result.warnings


def test_missing_stretches_of_one_channel_span_from_the_first_hole_to_the_last():
    from sleepscorer_model.quality import QualitySpan

    spans = [QualitySpan("EMG", "EMG", "missing", 10, 12, (9.5, 11.25)),
             QualitySpan("EMG", "EMG", "missing", 15, 20, (15.0, 20.004))]
    assert stretches(spans)[0].describe() == ("EMG EMG missing (NaN) from 9.5 s to 20 s "
                                              "(7 s of it, in 2 pieces)")


def test_a_long_hole_is_not_called_a_flat_electrode_by_the_reader():
    """assemble's flat warning (>= 30 s flat) counted the zeros standing in for NaN."""
    from pathlib import Path

    import numpy as np

    from sleepscorer.io.assemble import RawChannel, assemble
    from tests.model.conftest import make_recording

    rec = make_recording(120, rate=128.0)
    eeg = np.array(rec.eeg.data, np.float32) * 50  # in uV
    eeg[20 * 128:80 * 128] = np.nan
    found = assemble(Path("x.csv"), [RawChannel("EEG1", rec.eeg.kind, eeg, 128.0, "uV")])
    assert found.eeg.missing[20 * 128:80 * 128].all() and found.eeg.missing.sum() == 60 * 128
    assert not any("flat" in w for w in found.warnings), found.warnings


def test_carried_notes_follow_the_epochs_they_are_written_at():
    """convert-labels kept no note column; carry_notes re-derives it at another epoch length
    by epoch_notes' rule (an EMG-only scoring's verdict included) and keeps it one to one."""
    import numpy as np
    from sleepscorer_model.quality import carry_notes, epoch_notes

    from sleepscorer.hypnogram import Hypnogram, Source
    from sleepscorer.stages import Stage

    def model(n, el):
        return Hypnogram.from_arrays(np.full(n, Stage.NREM), el,
                                     sources=np.full(n, Source.MODEL, dtype=np.int8))
    one, two = model(10, 1.0), model(5, 2.0)
    emg = epoch_notes([QualitySpan("EMG", "Ch2", "clipped", 3, 6)], 10, 1.0, "emg")
    assert carry_notes(emg, 1.0, one) == emg
    assert carry_notes(emg[:8], 1.0, one) == emg[:8] + ["", ""]  # padded epochs: no note
    assert carry_notes(emg, 1.0, two) == epoch_notes(
        [QualitySpan("EMG", "Ch2", "clipped", 3, 6)], 5, 2.0, "emg", labels=two.stages)
    assert carry_notes(emg, 1.0, two)[1:3] == ["EMG clipped"] * 2  # NREM windows: no verdict
    assert carry_notes(["", "EMG flat: scored from EEG alone"], 4.0, one)[3:9] == [
        "", "EMG flat: scored from EEG alone", "EMG flat: scored from EEG alone",
        "EMG flat: scored from EEG alone", "EMG flat: scored from EEG alone", ""]


def test_a_window_labelled_a_state_gets_no_artifact_verdict():
    """At 2-s epochs a window with one flat second took its label (NREM) from the sound one,
    and its note said "EEG flat: Artifact"; the verdict is now written only where it holds."""
    import numpy as np
    from sleepscorer_model.quality import note_column, signal_record

    from sleepscorer.hypnogram import Hypnogram, Source
    from sleepscorer.stages import Stage

    signal = signal_record([QualitySpan("EEG", "Ch1", "flat", 3, 6)], "both")
    hyp = Hypnogram.from_arrays(np.array([Stage.NREM, Stage.NREM, Stage.ARTIFACT, Stage.NREM,
                                          Stage.NREM]), 2.0, sources=np.full(5, Source.MODEL, np.int8))
    assert note_column(signal, hyp) == ["", "EEG flat", "EEG flat: Artifact", "", ""]
