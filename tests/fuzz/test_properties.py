"""Property tests (hypothesis): labels are placed by time whatever the row order, provenance
at a coarser epoch follows the README rule, and random damage to headers and label files
always ends in a clean error or a right result, never a traceback or a changed input."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sleepscorer.errors import LabelsError
from sleepscorer.hypnogram import Hypnogram, Source
from sleepscorer.io.labels import read_labels, write_labels_csv
from sleepscorer.stages import Stage
from tests.fuzz.builders import good_edf
from tests.fuzz.harness import Case, judge, run_cli

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
STAGES = [Stage.WAKE, Stage.NREM, Stage.REM, Stage.MA, Stage.ARTIFACT]
SOURCES = [Source.MODEL, Source.EXPERT, Source.IMPORTED]


def labelled(draw_stages, draw_sources, el: float = 1.0) -> Hypnogram:
    stages = np.array([int(s) for s in draw_stages])
    hyp = Hypnogram.from_arrays(stages, el, sources=np.array([int(s) for s in draw_sources],
                                                             np.int8))
    hyp.confidence[:] = np.where(hyp.sources == Source.MODEL, 0.75, np.nan)
    return hyp


epochs = st.integers(1, 40).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from(STAGES), min_size=n, max_size=n),
    st.lists(st.sampled_from(SOURCES), min_size=n, max_size=n)))


@SETTINGS
@given(data=epochs, seed=st.integers(0, 2**32 - 1), el=st.sampled_from([1.0, 2.5, 4.0]),
       drop=st.floats(0, 0.5))
def test_rows_are_placed_by_time_whatever_their_order(data, seed, el, drop):
    hyp = labelled(*data, el=el)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "l.csv"
        write_labels_csv(hyp, src)
        head, *rows = src.read_text().splitlines()
        rng = np.random.default_rng(seed)
        keep = [r for i, r in enumerate(rows) if i == len(rows) - 1 or rng.random() >= drop]
        rng.shuffle(keep)
        src.write_text("\n".join([head, *keep]) + "\n")
        back = read_labels(src, epoch_length=None)
    kept = {int(r.split(",")[0]) for r in keep}
    assert back.epoch_length == el and len(back) == len(hyp)
    for i in range(len(hyp)):
        if i in kept:
            assert back.stages[i] == hyp.stages[i] and back.sources[i] == hyp.sources[i]
        else:
            assert back.stages[i] == Stage.UNSCORED


@SETTINGS
@given(data=epochs, dup=st.integers(0, 39))
def test_a_repeated_epoch_is_always_an_error(data, dup):
    hyp = labelled(*data)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "l.csv"
        write_labels_csv(hyp, src)
        lines = src.read_text().splitlines()
        lines.append(lines[1 + dup % len(hyp)])
        src.write_text("\n".join(lines) + "\n")
        with pytest.raises(LabelsError, match="both epoch"):
            read_labels(src, epoch_length=None)


@SETTINGS
@given(data=epochs, k=st.sampled_from([2, 4, 5, 10]))
def test_coarse_provenance_follows_the_rule(data, k):
    """A window is the person's only when the person decided it (README, "The label CSV"):
    more than half of it, or half with the model agreeing on the rest, or no model epoch."""
    hyp = labelled(*data)
    out = hyp.to_epoch_length(float(k))
    for j in range(len(out)):
        stages = hyp.stages[j * k:(j + 1) * k]
        sources = hyp.sources[j * k:(j + 1) * k]
        person = (sources == Source.EXPERT) | (sources == Source.IMPORTED)
        mine = 2 * int(np.sum(person & (stages == out.stages[j])))
        decided = mine > k or (mine == k and bool((stages == out.stages[j]).all()))
        no_model = not (sources == Source.MODEL).any()
        is_person = out.sources[j] in (Source.EXPERT, Source.IMPORTED)
        assert is_person == (decided or no_model)
        if out.sources[j] == Source.MODEL:
            assert np.isfinite(out.confidence[j])
        # the stage is the majority stage of the window
        counts = {int(s): int(np.sum(stages == s)) for s in set(stages.tolist())}
        assert counts[int(out.stages[j])] == max(counts.values())


@SETTINGS
@given(data=epochs)
def test_round_trip_keeps_stages_sources_and_confidence(data):
    hyp = labelled(*data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "l.csv"
        write_labels_csv(hyp, path)
        back = read_labels(path, epoch_length=None)
    np.testing.assert_array_equal(back.stages, hyp.stages)
    np.testing.assert_array_equal(back.sources, hyp.sources)
    np.testing.assert_allclose(back.confidence, hyp.confidence, equal_nan=True)


@pytest.fixture(scope="module")
def edf_bytes(tmp_path_factory) -> bytes:
    return good_edf(tmp_path_factory.mktemp("edf") / "g.edf", seconds=10).read_bytes()


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spots=st.lists(st.tuples(st.integers(0, 767), st.binary(min_size=1, max_size=8)),
                      min_size=1, max_size=6))
def test_random_header_damage_is_never_a_traceback(spots, edf_bytes, tiny_model):
    data = bytearray(edf_bytes)
    for at, chunk in spots:
        data[at:at + len(chunk)] = chunk
    with tempfile.TemporaryDirectory() as tmp:
        rec = Path(tmp) / "rec.edf"
        rec.write_bytes(bytes(data))
        case = Case("random-header", lambda t, m: ([], []), expect="either")
        argv = ["score", rec, "--out", Path(tmp) / "o.csv", "--model", tiny_model,
                "--device", "cpu"]
        outcome = run_cli(argv, [rec])
        verdict, reason = judge(case, outcome, Path(tmp), [rec])
        assert verdict in ("clean errors", "handled correctly"), f"{verdict}: {reason}"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(text=st.text(alphabet=st.sampled_from(list("0123456789.,-\t\n eWakNREMpochstdurationfs_")),
                    max_size=300))
def test_random_label_text_is_never_a_traceback(text):
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "labels.csv"
        src.write_text("epoch,onset_s,duration_s,stage\n" + text)
        case = Case("random-labels", lambda t, m: ([], []), expect="either")
        outcome = run_cli(["convert-labels", src, Path(tmp) / "o.csv"], [src])
        verdict, reason = judge(case, outcome, Path(tmp), [src])
        assert verdict in ("clean errors", "handled correctly"), f"{verdict}: {reason}"
