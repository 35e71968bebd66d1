"""Which front end turns a recording into model input: the one its model card names.

"raw" (model.preprocess): normalised 512-Hz samples per 1-s epoch; "spectral"
(model.spectral): robust-scaled log spectra per epoch. Both give a source with
`n_epochs`, `channels` and `epochs(name, start, stop)`.
"""

from __future__ import annotations

import numpy as np
from sleepscorer_model.preprocess import EpochSource, PreprocessConfig, preprocess
from sleepscorer_model.spectral import SpectralSource

from sleepscorer.io.recording import Recording

FRONT_ENDS = ("raw", "spectral")


def make_source(recording: Recording, cfg: PreprocessConfig | None = None,
                use_eeg: bool = True, use_emg: bool = True) -> EpochSource | SpectralSource:
    cfg = cfg or PreprocessConfig()
    if cfg.front_end == "spectral":
        return SpectralSource(recording, cfg, use_eeg, use_emg)
    if cfg.front_end != "raw":
        raise ValueError(f"unknown front end {cfg.front_end!r}; known: {', '.join(FRONT_ENDS)}")
    return EpochSource(recording, cfg, use_eeg, use_emg)


def epoch_arrays(recording: Recording, cfg: PreprocessConfig | None = None
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """Whole recording -> (n_epochs, F) float32 EEG and EMG input (EMG None if absent)."""
    cfg = cfg or PreprocessConfig()
    if cfg.front_end == "spectral":
        source = SpectralSource(recording, cfg)
        return source.channels["eeg"], source.channels.get("emg")
    return preprocess(recording, cfg)
