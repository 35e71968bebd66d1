"""The only door from the app to sleepscorer.io, sleepscorer.core and model.

No other module of the GUI imports those packages (tests/test_layers.py checks it); they
reach them through the names here. Every function takes keyword arguments only, so a
change of a signature underneath fails loudly instead of shifting a positional argument.
Classes and types (a `Journal`, a `SessionStore`, ...) are handed through as they are.

The core's display and statistics code is cheap and imported now. Importing torch or the
readers costs seconds, so the window appears first: io and model are imported on first
use (in a worker thread), and their types (`Recording`, `ChannelKind`, `FinetuneConfig`)
resolve lazily through `__getattr__`. Tests swap these functions for stand-ins.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from sleepscorer.core import compare as _compare
from sleepscorer.core import display as _display
from sleepscorer.core import statistics as _statistics
from sleepscorer.core import units as _units
from sleepscorer.core.display import MinMaxPyramid as MinMaxPyramid
from sleepscorer.core.display import Spectrogram as Spectrogram
from sleepscorer.core.display import TrackScale as TrackScale
from sleepscorer.core.journal import Journal as Journal
from sleepscorer.core.review import Review as Review
from sleepscorer.core.selftest import Check as Check
from sleepscorer.core.session_store import SessionStore as SessionStore
from sleepscorer.core.session_store import person_labels_sha256 as person_labels_sha256
from sleepscorer.core.statistics import SleepStatistics as SleepStatistics
from sleepscorer.errors import Cancelled, ModelError

# types handed through: Check, Journal, MinMaxPyramid, Review, SessionStore, SleepStatistics,
# Spectrogram, TrackScale (above); ChannelKind, Recording, FinetuneConfig (on first use, below)


def __getattr__(name: str):
    """Types from the layers that are imported on first use."""
    if name in ("ChannelKind", "Recording"):
        from sleepscorer.io import recording

        return getattr(recording, name)
    if name == "FinetuneConfig":
        from sleepscorer_model.finetune import FinetuneConfig

        return FinetuneConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- display and statistics (sleepscorer.core) ------------------------------------------
def spectrogram(*, data, rate: float) -> Spectrogram:
    """EEG power in 4-s windows, 1-s steps (core/display.spectrogram)."""
    return _display.spectrogram(data, rate)


def shown_unit(*, unit: str | None, peak: float = 0.0) -> tuple[float, str]:
    """(scale, unit) as thin tracks and `sleepscorer info` show a channel (core/units)."""
    return _units.shown_unit(unit, peak)


def volts_per_unit(*, unit: str | None) -> float | None:
    return _units.volts_per_unit(unit)


def signal_peak(*, data) -> float:
    return _units.peak(data)


def robust_span(*, values) -> tuple[float, float] | None:
    return _display.robust_span(values)


def stage_palette(*, colours: dict | None = None):
    return _display.stage_palette(colours)


def stage_rgba(*, stages, person, lut):
    return _display.stage_rgba(stages, person, lut)


def confidence_envelope(*, confidence, epoch_length: float, t0: float, t1: float,
                        n_pixels: int):
    return _display.confidence_envelope(confidence, epoch_length, t0, t1, n_pixels)


def compute_statistics(*, hypnogram, states, start_time=None, spectrogram=None,
                       clock_hours: bool = False) -> SleepStatistics:
    return _statistics.compute_statistics(hypnogram, states=states, start_time=start_time,
                                          spectrogram=spectrogram, clock_hours=clock_hours)


def write_statistics(*, stats: SleepStatistics, path: str | Path) -> Path:
    return _statistics.write_statistics(stats, path)


def disagreements(*, a, b):
    """Per epoch: both hypnograms label it and the labels differ (core/compare)."""
    return _compare.disagreements(a, b)


def write_comparison(*, a, b, names: tuple[str, str], path: str | Path,
                     inputs: list[str | Path]) -> Path:
    """What `sleepscorer compare -o` writes, for `a` against `b`; never over an input."""
    return _compare.write_comparison(_compare.compare(a, b), path, names, inputs)


def comparison_text(*, a, b, name_a: str, name_b: str) -> str:
    """What `sleepscorer compare` says about `a` against `b`."""
    return _compare.format_comparison(_compare.compare(a, b), name_a, name_b)


def find_trains(*, recording) -> tuple[str, list[tuple[int, int]]] | None:
    """(trigger channel, 1-s epoch ranges of each stimulation train), or None."""
    from sleepscorer.core.stimulation import find_trains as find

    return find(recording, recording.n_epochs(1.0), 1.0)


def trains_text(*, channel: str, stages, ranges_s: list[tuple[int, int]], epoch_length: float
                ) -> str:
    """What `sleepscorer stats --recording` prints about each train, for these labels."""
    from sleepscorer.core.stimulation import around_trains
    from sleepscorer.core.stimulation import trains_text as text

    ranges = [(int(a // epoch_length), -int(-b // epoch_length)) for a, b in ranges_s]
    return text(channel, around_trains(stages, ranges, epoch_length), narrow=True)


# -- files (sleepscorer.io) ----------------------------------------------------------------
def load_recording(*, path: str | Path, rate: float | None = None, roles: dict | None = None):
    from sleepscorer.io import load_recording as load

    return load(path, rate=rate, roles=roles)


def check_opens(*, path: str | Path) -> None:
    """io.check_opens: the reader's refusal at a file's first bytes, said before the app asks
    whether to leave the open recording."""
    from sleepscorer.io import check_opens as check

    check(path)


def recording_suffixes() -> tuple[str, ...]:
    """File suffixes the readers open, from their own list (Open dialog, drops, help)."""
    from sleepscorer.io import SUPPORTED_RECORDINGS

    return tuple(s for s in SUPPORTED_RECORDINGS if s.startswith("."))


def video_suffixes() -> tuple[str, ...]:
    from sleepscorer.io.video import VIDEO_SUFFIXES

    return VIDEO_SUFFIXES


def holds_recording(*, path: str | Path) -> bool:
    """Whether the content is a recording format the readers take although the name says
    otherwise (an EDF with no suffix): the readers' own rule, `io.sniff.misnamed`."""
    from sleepscorer.io.sniff import misnamed, sniff

    return misnamed(path, sniff(path)) is not None


def file_contents(*, path: str | Path) -> set[str]:
    from sleepscorer.io.discover import file_contents as contents

    return contents(path)


def read_labels(*, path: str | Path, n_epochs: int | None = None, epoch_length: float = 1.0,
                file_epoch_length: float | None = None):
    from sleepscorer.io.labels import read_labels as read

    return read(path, n_epochs=n_epochs, epoch_length=epoch_length,
                file_epoch_length=file_epoch_length)


def without_flat_notes(*, notes: list[str], names: set[str]) -> list[str]:
    from sleepscorer.io.assemble import without_flat_notes as without

    return without(notes, names)


def flat_clause(*, notes: list[str], name: str) -> str | None:
    from sleepscorer.io.assemble import flat_clause as clause

    return clause(notes, name)


def import_parts(*, hyp, other):  # noqa: ANN201 - two boolean masks
    from sleepscorer.core.review import import_parts as parts

    return parts(hyp, other)


def overruled(*, hyp, other) -> int:
    from sleepscorer.core.review import overruled as count

    return count(hyp, other)


def write_labels_csv(*, hypnogram, path: str | Path, signal: dict | None = None, **options):
    """`signal`: the last scoring's (ScoreResult.signal), for the note column `score` writes;
    `options`: io.labels.write_labels_csv's `epoch_length` and `record`."""
    from sleepscorer_model.quality import note_column

    from sleepscorer.io.labels import write_labels_csv as write

    return write(hypnogram, path, notes=partial(note_column, signal), **options)


def signal_notes(*, signal: dict | None, hypnogram) -> list[str] | None:
    """Per epoch, what the scoring's signal check found and decided ("EEG flat: Artifact"),
    as the export's note column says it; None where it found nothing (imports no torch)."""
    from sleepscorer_model.quality import note_column

    return note_column(signal, hypnogram)


def app_record(*, hypnogram, epoch_length: float, models: list, recording) -> dict:
    from sleepscorer.io.provenance import app_record as record

    return record(hypnogram, epoch_length, models, recording)


def write_bids_events(*, hypnogram, path: str | Path, epoch_length: float | None = None):
    from sleepscorer.io.labels import write_bids_events as write

    return write(hypnogram, path, epoch_length)


def open_video(*, path: str | Path, max_width: int | None = None):  # noqa: ANN201
    """A VideoReader (io/video.py): frames by time; VideoError if the file is not a video."""
    from sleepscorer.io.video import open_video as open_

    return open_(path, max_width=max_width)


# -- models (model) --------------------------------------------------------------------
def prewarm_model() -> None:
    """Import the model stack (torch) now. Importing torch holds the GIL for up to a few
    hundred ms at a time; doing it in the background at start-up keeps that pause away from
    the moment a user is scoring."""
    try:
        import sleepscorer_model.inference  # noqa: F401
    except Exception:  # noqa: BLE001 - scoring will report the problem when asked
        pass


def model_sha256(*, weights: str | Path | None) -> str | None:
    """sha256 of the model file that scores (None: the bundled one)."""
    from sleepscorer_model.weights import default_weights_path as bundled
    from sleepscorer_model.weights import file_sha256

    try:
        return file_sha256(Path(bundled() if weights is None else weights))
    except OSError:
        return None


def scoring_options(**choices):  # noqa: ANN003, ANN201
    """The person's scoring choices as one `model.options.ScoringOptions` (no torch)."""
    from sleepscorer_model.options import ScoringOptions

    return ScoringOptions(**choices)


def score(*, recording, **kwargs):
    """Automatic scoring; raises ModelError when no weights are available."""
    try:
        from sleepscorer_model.inference import score as run
    except ImportError as exc:
        raise ModelError(None, "automatic scoring is not installed yet (model.inference "
                               f"missing: {exc})") from exc
    return run(recording, **kwargs)


def device_name(*, requested: str = "auto") -> str:
    """'CUDA' or 'CPU': what scoring will run on (imports torch; call from a worker)."""
    if requested not in ("auto", "cuda"):
        return requested.upper()
    try:
        from sleepscorer_model.device import pick_device

        return pick_device("auto").type.upper()
    except ImportError:
        return "CPU"


def default_weights_path() -> Path:
    """The bundled model file."""
    from sleepscorer_model.weights import default_weights_path as bundled

    return bundled()


def user_models_dir() -> Path:
    """Where fine-tuned models are saved and listed from."""
    from sleepscorer_model.registry import user_models_dir as folder

    return folder()


def list_models() -> list:
    """The bundled model and the user's fine-tuned models (model.finetune.ModelEntry:
    path, card, bundled, name); imports torch, so call from a worker."""
    from sleepscorer_model.registry import list_models as models

    return models()


def model_entry(*, path: str | Path):
    """A ModelEntry for any model file (e.g. a checkpoint chosen by hand); raises ModelError."""
    from sleepscorer_model.registry import ModelEntry
    from sleepscorer_model.weights import load_model

    path = Path(path)
    return ModelEntry(path, load_model(path).card, path == default_weights_path())


def short_date(*, text: str | None) -> str:
    from sleepscorer_model.card_text import short_date as date

    return date(text)


def metrics_text(*, card: dict) -> str:
    from sleepscorer_model.card_text import metrics_text as text

    return text(card)


def trained_on_text(*, card: dict) -> str:
    from sleepscorer_model.card_text import trained_on_text as text
    return text(card)


def gate_text(*, card: dict) -> str:
    from sleepscorer_model.card_text import gate_text as text

    return text(card)


def reference_counts(*, metrics: dict) -> list[int]:
    from sleepscorer_model.metrics import reference_counts as counts

    return counts(metrics)


# -- corrections and fine-tuning ---------------------------------------------------------
def export_corrections(*, recording, hypnogram, out_dir: str | Path, card: dict) -> dict:
    """Append the person-labelled epochs of one recording to a corrections folder."""
    from sleepscorer_model.corrections import export_corrections as export

    return export(recording, hypnogram, out_dir, card)


def left_out_text(*, manifest: dict) -> str:
    """What a corrections folder leaves out (stages the model does not score), or ""."""
    from sleepscorer_model.corrections import left_out_text as text

    return text(manifest, manifest["classes"])


def corrections_dir() -> Path:
    """Where the app keeps corrections it exports for fine-tuning."""
    import platformdirs

    return Path(platformdirs.user_data_dir("SleepScorer", appauthor=False)) / "corrections"


def read_manifest(*, folder: str | Path) -> dict:
    """A corrections folder's manifest (recordings, label counts); raises SleepScorerError."""
    from sleepscorer_model.corrections import read_manifest as read

    return read(folder)


def finetune(*, folders: list[Path], base: Path, out_path: Path, config,
             progress: Callable[[dict], None], cancelled: Callable[[], bool]) -> tuple:
    """Load `base` and the corrections, fine-tune, and save an accepted model to `out_path`
    (a cancelled run writes nothing). Returns (FinetuneResult, saved path or None); raises
    Cancelled once `cancelled()` turns true. `progress`: model.finetune's, a dict per step."""
    from sleepscorer_model.corrections import load_corrections
    from sleepscorer_model.finetune import finetune as run
    from sleepscorer_model.finetune import save_finetuned
    from sleepscorer_model.weights import load_model

    loaded = load_model(base)
    data = load_corrections(folders, loaded.card)
    result = run(loaded, data, config, progress, cancelled)
    if cancelled():
        raise Cancelled()
    if not result.accepted:
        return result, None
    save_finetuned(result, out_path)
    return result, out_path
