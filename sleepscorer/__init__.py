"""SleepScorer: rodent EEG/EMG sleep scoring with sDREAMER.

Subpackages: `io` (files -> Recording, label files), `core` (scoring state, stages,
simulation), `cli` and `gui` (two thin shells). The networks live in the top-level `model`.
"""

__version__ = "0.1.0"
