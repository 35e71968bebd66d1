"""What an existing file holds, read before an output may replace it (io.outputs): someone's
work (`held_work`: a recording, labels a person set, a model, any file SleepScorer did not
write) or one of SleepScorer's own replaceable outputs, and of which kind (`our_json_kind`,
`other_output`).
"""

from __future__ import annotations

from pathlib import Path

from sleepscorer.errors import LabelsError

RECORDING_SUFFIXES = (".edf", ".bdf", ".rec", ".mat", ".continuous", ".parquet", ".npy", ".npz",
                      ".h5", ".nwb", ".dat", ".smrx", ".smr", ".abf")
MODEL_SOURCES = {"model", ""}  # what our CSV's `source` column says of a model's label


def held_work(path: Path) -> str | None:
    """What of someone's work the existing file `path` holds, or None when replacing it loses
    nothing: a recording, or labels any of which a person set (our CSV says who set each;
    labels of another layout say nothing, so they are a person's), or any file SleepScorer did
    not write. Our own model output, result tables (statistics, comparisons), cards, records and
    empty files are replaced, so a batch can be run again.

    Why: rerunning `score` into its output folder replaced the CSV an expert had corrected, and
    `score -o`, `convert-labels` and `stats -o` replaced a truth label file or a recording."""
    from sleepscorer.io.label_tables import (
        LABEL_COLUMNS,
        SIGNAL_COLUMNS,
        column,
        read_header,
        read_table,
    )
    from sleepscorer.io.sniff import KIND_NAMES, sniff

    if path.suffix.lower() in RECORDING_SUFFIXES:
        return "a recording"
    content = sniff(path)  # by its magic bytes: an EDF named .csv is still a recording
    if content in KIND_NAMES:
        return f"a recording ({KIND_NAMES[content]})"
    try:
        if path.stat().st_size == 0:
            return None  # nothing in it to lose
    except OSError:
        return None
    if path.suffix.lower() == ".safetensors":
        return held_model(path) or "a file SleepScorer did not write"
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return None if our_json(path) else "a file SleepScorer did not write"
    try:
        header = read_header(path)
    except OSError:
        return None
    if SIGNAL_COLUMNS & set(header):
        return "a recording (signal columns)"
    if not (LABEL_COLUMNS | {"trial_type"}) & set(header):
        if any(header[:len(h)] == list(h) for h in OUR_TABLES):
            return None  # our statistics: run again, written again
        return f"a table SleepScorer did not write (columns {', '.join(header[:4]) or 'none'})"
    if "source" not in header or "stage" not in header:
        return "labels (of a layout that does not say who set them)"
    try:  # read as the label reader reads it: its delimiter, its quoting
        sources = column(path, *read_table(path), "source")
    except LabelsError:
        return "labels that cannot be read whole"
    person = sum(1 for s in sources if s.lower() not in MODEL_SOURCES)
    return f"{person} label(s) set by a person" if person else None


RECORD_KIND = "sleepscorer scoring record"  # what io.provenance's records say they are
BIDS_SIDECAR_MARK = "SleepScorer"  # how io.labels' BIDS events.json sidecar describes `stage`
# the first columns of the result tables SleepScorer writes (core.statistics, cli.stats)
OUR_TABLES = (("state", "time_s", "percent_of_scored"), ("file", "state", "time_s"))


def our_json(path: Path) -> bool:
    """Whether `path` is JSON that SleepScorer wrote and may write again: statistics, a
    comparison, a model card, a scoring record or a BIDS events sidecar. Anything else is
    someone's (a run of `compare -o notes.json` replaced a person's notes; `train` a card-named
    file)."""
    return our_json_kind(path) is not None


def our_json_kind(path: Path) -> str | None:
    """Which of SleepScorer's JSON outputs `path` is (a key of `OUTPUT_KINDS`), or None."""
    import json

    if path.suffix.lower() != ".json":
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    rows = data if isinstance(data, list) and data else [data]
    if not all(isinstance(r, dict) for r in rows):
        return None
    if all({"epoch_length_s", "total_s"} <= r.keys() for r in rows):
        return "statistics"
    if all({"epochs_compared", "kappa"} <= r.keys() for r in rows):
        return "comparison"
    if str(rows[0].get("format", "")).startswith("sleepscorer-model/"):
        return "card"
    if rows[0].get("kind") == RECORD_KIND:  # io.provenance's record
        return "record"
    return "sidecar" if our_sidecar(rows[0].get("stage")) else None


# what each of SleepScorer's own outputs is called in a refusal
OUTPUT_KINDS = {
    "statistics": "statistics (an earlier stats --out or the app's export)",
    "comparison": "a comparison (an earlier compare --out or the app's export)",
    "labels": "labels scored by a model (a label file that score wrote)",
    "record": "a scoring record (which model scored a label file)",
    "card": "a model's card",
    "sidecar": "a BIDS events sidecar",
}
# the results that replace only their own kind (check_output_file's `replaces`)
RESULT_REPLACES = {"statistics": "statistics replace only earlier statistics",
                   "comparison": "a comparison replaces only an earlier comparison"}


def other_output(path: Path, kind: str) -> str | None:
    """What the existing file `path` holds when a result of `kind` must not replace it, or None
    (an earlier result of that kind, or an empty file).

    Why: `stats --out` and `compare --out` replaced a label file that `score` wrote, or its
    scoring record, with a table: `held_work` lets such model output be replaced, for `score`
    to run again, and a result is no run of `score`."""
    from sleepscorer.io.label_tables import read_header

    held = held_work(path)
    if held:
        return held
    try:
        if path.stat().st_size == 0:
            return None
    except OSError:
        return None
    found = our_json_kind(path)
    if found is None and path.suffix.lower() in (".csv", ".tsv", ".txt"):
        try:
            header = read_header(path)
        except OSError:
            header = []
        found = "statistics" if any(header[:len(h)] == list(h) for h in OUR_TABLES) else \
            "labels" if "stage" in header else None
    if found == kind:
        return None
    return OUTPUT_KINDS.get(found, "a file SleepScorer did not write")


def our_sidecar(stage: object) -> bool:
    """Whether a BIDS events.json's `stage` entry is io.labels' (someone's may be any JSON)."""
    return isinstance(stage, dict) and str(stage.get("Description", "")).startswith(
        BIDS_SIDECAR_MARK + ":")


def held_model(path: Path) -> str | None:
    """What the existing weights file `path` is ('a model fine-tuned on 900 labelled epochs,
    created ...'), read from its safetensors header alone; None when there is none.

    Why: a second `finetune --out lab.safetensors` replaced the first run's model (a better
    one) without a word, and `--out` naming the bundled weights would have replaced them."""
    import json
    import struct

    try:
        with path.open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(size)) if 1 < size < 1 << 26 else None
    except (OSError, struct.error, ValueError):
        return None
    if not isinstance(header, dict):
        return None  # not a safetensors file: nothing of a model is lost
    try:
        card = json.loads((header.get("__metadata__") or {})["sleepscorer_card"])
        tuned = card.get("training_data", {}).get("labelled_epochs") if "finetune" in card \
            else None
        made = f", created {str(card['created'])[:16].replace('T', ' ')}" if card.get(
            "created") else ""
    except (KeyError, TypeError, ValueError, AttributeError):
        return "a weights file (safetensors)"
    what = f"fine-tuned on {tuned} labelled epochs" if tuned else f"{card.get('name')!r}"
    return f"a model ({what}{made})"
