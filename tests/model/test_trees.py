"""The tree reference: features, fit, save/load with hash check."""

import json

import numpy as np
import pytest
from sleepscorer_model.features import (
    epoch_band_features,
    feature_names,
    scale_by_percentiles,
    with_context,
)
from sleepscorer_model.trees import TreesModel

from sleepscorer.errors import ModelError
from tests.model.conftest import make_recording


def test_features_shape_names_and_context():
    rec = make_recording(30, rate=250.0)
    f = epoch_band_features(rec)
    assert f.shape == (30, 17) and np.isfinite(f).all()
    assert epoch_band_features(rec, with_emg=False).shape == (30, 16)
    ctx = with_context(scale_by_percentiles(f), 2)
    assert ctx.shape == (30, 17 * 5) and len(feature_names(True, 2)) == 17 * 5
    np.testing.assert_allclose(ctx[5, 17 * 2:17 * 3], scale_by_percentiles(f)[5])  # centre block
    np.testing.assert_allclose(ctx[0, :17], ctx[0, 17:34])  # edges repeat


def test_chunked_features_equal_whole():
    rec = make_recording(50, rate=1000.0)
    from sleepscorer_model import features

    np.testing.assert_allclose(features.epoch_band_features(rec, chunk_epochs=7),
                               features.epoch_band_features(rec), rtol=1e-5, atol=1e-6)


def test_trees_fit_predict_save_load(tmp_path):
    params = {"min_data_in_leaf": 2, "num_threads": 1}
    stages = np.arange(60) // 4 % 3
    rec = make_recording(60, stages=stages)
    model = TreesModel(params=params, context=1)
    model.fit([model.features(rec)], [stages], rounds=20)
    test = make_recording(30, stages=np.arange(30) // 4 % 3, seed=1)
    p = model.score(test)
    assert p.shape == (30, 3)
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
    model.save(tmp_path / "t.json")
    again = TreesModel.load(tmp_path / "t.json")
    np.testing.assert_allclose(again.score(test), p)
    card = json.loads((tmp_path / "t.json").read_text())
    card["booster"] = card["booster"].replace("num_class=3", "num_class=4")
    (tmp_path / "t.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="hash"):
        TreesModel.load(tmp_path / "t.json")


def test_tree_needs_emg_when_trained_with_it():
    with pytest.raises(ModelError, match="EMG"):
        TreesModel().features(make_recording(10, emg=False))
