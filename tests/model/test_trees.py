import json

import numpy as np
import pytest

from model.features import epoch_features, feature_names
from model.trees import TreesModel
from sleepscorer.errors import ModelError
from tests.model.conftest import make_recording
from tests.model.test_training import subject


def test_features_shape_and_names():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 512)).astype(np.float32)
    f = epoch_features(x, x, chunk=2)
    assert f.shape == (5, len(feature_names(True))) and np.isfinite(f).all()
    assert epoch_features(x, None).shape == (5, len(feature_names(False)))


def test_trees_fit_predict_save_load(tmp_path):
    params = {"min_data_in_leaf": 2, "num_threads": 1}
    model = TreesModel(params=params).fit([subject(60)], [subject(30, 1, "m2")], rounds=20)
    p = model.score(make_recording(30, stages=np.arange(30) // 4 % 3, seed=1))
    assert p.shape == (30, 3)
    np.testing.assert_allclose(p.sum(1), 1, atol=1e-5)
    model.save(tmp_path / "t.json")
    again = TreesModel.load(tmp_path / "t.json")
    x = subject(10)
    np.testing.assert_allclose(again.predict_proba(x.eeg, x.emg), model.predict_proba(x.eeg, x.emg))
    card = json.loads((tmp_path / "t.json").read_text())
    card["booster"] = card["booster"].replace("num_class=3", "num_class=4")
    (tmp_path / "t.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="hash"):
        TreesModel.load(tmp_path / "t.json")
