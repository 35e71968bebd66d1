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
