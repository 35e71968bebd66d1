"""The networks (sDREAMER, MC2SleepNet, trees baseline), inference and training.

Public entry points (import from the submodules; this package imports nothing heavy):
- `model.inference.score(recording, weights=None, modality="both", device="auto", ...)`
  -> `ScoreResult`; `model.inference.to_hypnogram(result, hypnogram=None)`.
- `model.weights`: `ARCHITECTURES`, `build_model`, `save_model`, `load_model`,
  `resolve_model`, `default_weights_path`, `LoadedModel`.
- `model.training`: `TrainConfig`, `train`, `fit_architecture` (losses: `model.objectives`);
  `model.data`:
  `prepare_subject`, `split_subjects`, `SequenceDataset`; `model.metrics.evaluate`.
- `model.trees.TreesModel` (LightGBM on `model.features`).
- `model.interface.ScoringNetwork`: what every network declares (docs/architecture.md);
  `model.device.pick_device`: auto / cpu / cuda.

Must not import Qt or sleepscorer.gui.
"""
