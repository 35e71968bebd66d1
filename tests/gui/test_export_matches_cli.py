"""The app's export at 4 s and `sleepscorer score --epoch-length 4` write the same file: one
rule (sleepscorer.epoch_windows) for both. A user trial found 9 of 898 4-s epochs with
another stage, 34 confidences off by more than 0.1, and no p_* columns in the app's file."""

from sleepscorer.cli import main
from tests.gui.conftest import open_and_score, write_edf


def test_app_export_at_4_s_is_the_clis_file(qtbot, window, isolated, tmp_path):
    isolated.score.pattern = False  # the bundled model's own probabilities, as the CLI's
    edf = write_edf(tmp_path / "mouse4.edf", minutes=3)
    cli = tmp_path / "cli4.csv"
    assert main(["score", str(edf), "-o", str(cli), "--epoch-length", "4", "--device", "cpu"]) == 0
    open_and_score(qtbot, window, edf)
    window.settings.export_epoch_length = 4.0
    app = tmp_path / "app4.csv"
    assert window.files.export_csv(app)
    app_lines, cli_lines = app.read_text().splitlines(), cli.read_text().splitlines()
    assert app_lines[0] == cli_lines[0]
    assert app_lines[0].startswith("epoch,onset_s,duration_s,stage,confidence,source,p_")
    assert len(app_lines) == 1 + 180 // 4
    assert app_lines == cli_lines
