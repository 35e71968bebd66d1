"""Simulated, labelled rodent EEG/EMG for training and testing when no labelled raw data exist.

State sequences come from real MSSV expert hypnograms (`hypnograms`); signal statistics
are calibrated on real unlabelled recordings (`scripts/calibrate_simulator.py`); animals
and labs vary (`labs`). Entry point: `simulate_recording`. No Qt, no file writing.
"""

from sleepscorer_model.simulation.hypnograms import (
    SemiMarkovModel,
    default_sampler,
    load_mssv,
    to_one_second,
)
from sleepscorer_model.simulation.labs import (
    CALIBRATED_LAB,
    LABS,
    TRAINING_LABS,
    AnimalParams,
    LabProfile,
    get_lab,
    shifted_lab,
)
from sleepscorer_model.simulation.session import (
    SimulatedSession,
    simulate_recording,
    simulate_session,
)
from sleepscorer_model.simulation.signals import SignalState

__all__ = [
    "AnimalParams", "CALIBRATED_LAB", "LABS", "LabProfile", "SemiMarkovModel", "SignalState",
    "SimulatedSession", "TRAINING_LABS", "default_sampler", "get_lab", "load_mssv",
    "shifted_lab", "simulate_recording", "simulate_session", "to_one_second",
]
