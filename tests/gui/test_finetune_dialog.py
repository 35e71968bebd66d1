import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from sleepscorer_model.corrections import export_corrections  # noqa: E402
from sleepscorer_model.finetune import FinetuneConfig  # noqa: E402
from sleepscorer_model.weights import build_model, save_model  # noqa: E402

from sleepscorer.gui.finetune_dialog import FinetuneDialog  # noqa: E402
from sleepscorer.hypnogram import Hypnogram  # noqa: E402
from tests.model.conftest import TINY, make_recording  # noqa: E402

N = 160


@pytest.fixture
def setup(tmp_path):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    base = tmp_path / "base.safetensors"
    card = save_model(build_model("sdreamer-seq", **TINY), base)
    stages = np.arange(N) // 8 % 3
    export_corrections(make_recording(N, stages=stages), Hypnogram.from_arrays(stages),
                       tmp_path / "corr", card)
    return base, tmp_path / "corr", tmp_path / "models"


def dialog(qtbot, setup, **cfg):
    base, corr, models = setup
    dlg = FinetuneDialog([corr], base, models,
                         FinetuneConfig(epochs=1, lr=3e-3, freeze_encoder=False, device="cpu",
                                        replay=0, **cfg))
    qtbot.addWidget(dlg)
    return dlg


def test_dialog_shows_summary_runs_and_offers_the_model(qtbot, setup):
    dlg = dialog(qtbot, setup)
    assert "160 labelled epochs" in dlg.summary_label.text()
    assert "Wake: " in dlg.summary_label.text() and "WAKE" not in dlg.summary_label.text()
    assert "base.safetensors" in dlg.base_label.text()
    dlg.start_button.click()
    qtbot.waitUntil(lambda: dlg.result is not None, timeout=120000)  # ~30 s on 2 busy cores
    qtbot.waitUntil(lambda: not dlg.is_running(), timeout=5000)
    assert "fine-tuned" in dlg.results_label.text() and "F1 Wake" in dlg.results_label.text()
    saved = list(setup[2].glob("*.safetensors")) if setup[2].exists() else []
    assert dlg.use_button.isEnabled() == dlg.result.accepted == bool(saved)
    if dlg.result.accepted:
        dlg.use_button.click()
        assert dlg.model_path == saved[0] and dlg.result_code() == dlg.DialogCode.Accepted


def test_cancel_writes_nothing(qtbot, setup):
    dlg = dialog(qtbot, setup)
    dlg.start_button.click()
    dlg.cancel_button.click()
    qtbot.waitUntil(lambda: not dlg.is_running(), timeout=20000)
    assert "Cancelled" in dlg.status_label.text() or dlg.result is not None
    if dlg.result is None:
        assert not setup[2].exists() or not list(setup[2].iterdir())
    assert dlg.model_path is None or dlg.result.accepted


def test_too_few_corrections_are_refused_at_once_and_the_reason_is_readable(qtbot, tmp_path):
    """A user trial: 12 labelled epochs trained for 40 s, the bar reached 100 %, and only
    then came "not saved", in a dialog that had squashed its Corrections box to a sliver."""
    base = tmp_path / "base.safetensors"
    card = save_model(build_model("sdreamer-seq", **TINY), base)
    stages = np.arange(24) // 8 % 3  # 24 labelled epochs: K = 8 needs 33 to hold a block out
    export_corrections(make_recording(24, stages=stages), Hypnogram.from_arrays(stages),
                       tmp_path / "corr", card)
    dlg = FinetuneDialog([tmp_path / "corr"], base, tmp_path / "models",
                         FinetuneConfig(epochs=1, device="cpu", replay=0))
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.start_button.click()
    qtbot.waitUntil(lambda: dlg.result is not None, timeout=20000)
    assert dlg.result.candidate is None  # nothing was trained
    assert "too few corrections" in dlg.status_label.text()
    assert dlg.progress_bar.value() == 0
    qtbot.waitUntil(lambda: dlg.height() >= dlg.layout().totalHeightForWidth(dlg.width()))
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").iterdir())


def test_bad_corrections_folder_disables_start(qtbot, setup, tmp_path):
    dlg = FinetuneDialog([tmp_path / "nowhere"], setup[0], setup[2])
    qtbot.addWidget(dlg)
    assert "Cannot use these corrections" in dlg.summary_label.text()
    assert not dlg.start_button.isEnabled()


def test_a_class_with_no_held_out_epochs_reads_n_a_and_warnings_are_shown():
    from sleepscorer.gui.finetune_dialog import results_text

    confusion = [[19, 0, 0], [2, 235, 0], [0, 0, 0]]  # no REM held out
    before = {"accuracy": 0.99, "macro_f1": 0.97, "f1_per_class": [0.95, 0.99, 0.0],
              "confusion": confusion}
    after = {**before, "accuracy": 1.0, "macro_f1": 1.0, "f1_per_class": [1.0, 1.0, 0.0]}
    text = results_text(before, after, ["WAKE", "NREM", "REM"],
                        ["the corrections hold no REM: its F1 is not checked"])
    rem_row = text[text.index("F1 REM"):].split("</tr>")[0]
    assert "n/a" in rem_row and "0.000" not in rem_row
    assert "Note: the corrections hold no REM" in text
