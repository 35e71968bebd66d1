"""ScoringOptions: the one value that carries a person's scoring choices down every path."""

from __future__ import annotations

import inspect
from dataclasses import fields

from sleepscorer_model.decoding import SEQUENCE_PRIOR
from sleepscorer_model.inference import score
from sleepscorer_model.options import ScoringOptions
from sleepscorer_model.postprocess import REM_RULE

from sleepscorer.cli import build_parser
from sleepscorer.cli.score import options_from


def test_the_defaults_score_as_score_does_without_options():
    defaults = {name: p.default for name, p in inspect.signature(score).parameters.items()}
    for name, value in ScoringOptions().score_keywords().items():
        assert defaults[name] is value or defaults[name] == value, name


def test_every_choice_reaches_its_keyword():
    chosen = ScoringOptions(modality="eeg", epoch_length=4.0, device="cpu", rem_from_wake=True,
                            emg_rules=False, lab_gate=False, smoothing=False).score_keywords()
    assert chosen == {"modality": "eeg", "epoch_length": 4.0, "device": "cpu", "rem_rule": None,
                      "emg_rules": False, "lab_gate": False, "sequence_prior": None}
    plain = ScoringOptions().score_keywords()
    assert plain["rem_rule"] is REM_RULE and plain["sequence_prior"] is SEQUENCE_PRIOR


def test_every_score_flag_becomes_an_option():
    args = build_parser().parse_args(
        ["score", "x.edf", "-o", "out", "--modality", "emg", "--epoch-length", "2",
         "--device", "cpu", "--allow-rem-from-wake", "--no-emg-rules", "--no-lab-gate",
         "--no-smoothing"])
    flipped = options_from(args)
    assert flipped == ScoringOptions(modality="emg", epoch_length=2.0, device="cpu",
                                     rem_from_wake=True, emg_rules=False, lab_gate=False,
                                     smoothing=False)
    plain = options_from(build_parser().parse_args(["score", "x.edf", "-o", "out"]))
    assert plain == ScoringOptions()
    assert all(getattr(flipped, f.name) != getattr(plain, f.name) for f in fields(ScoringOptions))
