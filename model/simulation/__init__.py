"""Simulated, labelled rodent EEG/EMG for training and testing when no labelled raw data exist.

State sequences come from real MSSV expert hypnograms (`hypnograms`); signal statistics
are calibrated on real unlabelled recordings (`scripts/calibrate_simulator.py`); animals
and labs vary (`labs`). Entry point: `simulate_recording`. No Qt, no file writing.
"""

from importlib import import_module

# Names are loaded on first use (PEP 562): the scorer needs only `hypnograms` (the MSSV
# transitions of its decoding), and importing the signal generators would pull in
# scipy.signal, about 1.5 s of every CLI run and every app start.
_WHERE = {
    "SemiMarkovModel": "hypnograms", "default_sampler": "hypnograms", "load_mssv": "hypnograms",
    "to_one_second": "hypnograms",
    "CALIBRATED_LAB": "labs", "LABS": "labs", "TRAINING_LABS": "labs", "AnimalParams": "labs",
    "LabProfile": "labs", "get_lab": "labs", "shifted_lab": "labs",
    "SimulatedSession": "session", "simulate_recording": "session", "simulate_session": "session",
    "SignalState": "signals",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
